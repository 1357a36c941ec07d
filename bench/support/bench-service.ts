import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { BenchContext } from './bench-context.js';
import { createScratchDatabase, withAdmin, type ScratchDatabase } from './scratch-database.js';
import { startServiceProcess, type ServiceProcess, type ServiceProcessArgs } from './service-process.js';

export const BENCH_CUSTOMER = 'bench';
export const BENCH_INGEST_DOMAIN = 'ingest.bench.example';
export const BENCH_RECIPIENT = `${BENCH_CUSTOMER}@${BENCH_INGEST_DOMAIN}`;
/**
 * smtp-source -s 20 opens 20 sessions from one address; without -d a closing session may still be
 * counted when its successor connects, so the per-address cap gets headroom (the default is 20).
 */
const BENCH_MAX_CONNECTIONS_PER_ADDRESS = 200;

export interface BenchService {
  /** The current service process (a new one after `restart`). */
  readonly service: ServiceProcess;
  readonly database: ScratchDatabase;
  /** Job counts by status in the scratch database. */
  jobCounts(): Promise<Record<string, number>>;
  /**
   * Stops the service and starts a new process on the same database and data root, e.g. with the
   * worker on to drain a backlog; returns the stopped process's peak RSS (MiB).
   */
  restart(args: { readonly worker: boolean }): Promise<number | null>;
  /** Stops the service and drops its database and data root; returns the service's peak RSS (MiB). */
  close(): Promise<number | null>;
}

/**
 * The real service in its own process on a scratch database, with the bench customer created
 * through the CLI and the ingest domain smtp-source's recipient uses.
 */
export async function startBenchService(
  context: BenchContext,
  args: {
    readonly name: string;
    readonly worker: boolean;
    readonly smtp?: boolean;
    readonly config?: Readonly<Record<string, unknown>>;
    readonly env?: Readonly<Record<string, string>>;
    readonly extraCustomers?: readonly string[];
  },
): Promise<BenchService> {
  const database = await createScratchDatabase(context.serverUrl);
  const workDir = path.join(context.workRoot, `${args.name}-${database.name}`);
  await mkdir(workDir, { recursive: true });
  const processArgs: ServiceProcessArgs = {
    databaseUrl: database.url,
    workDir,
    smtp: args.smtp ?? true,
    worker: args.worker,
    bin: context.bin,
    config: {
      ...args.config,
      smtp: { ingestDomains: [BENCH_INGEST_DOMAIN], maxConnectionsPerAddress: BENCH_MAX_CONNECTIONS_PER_ADDRESS, ...(args.config?.smtp as object | undefined) },
    },
    ...(args.env === undefined ? {} : { env: args.env }),
    ...(context.profileDir === null ? {} : { nodeOptions: ['--cpu-prof', '--cpu-prof-dir', path.join(context.profileDir, args.name)] }),
  };
  let service: ServiceProcess;
  try {
    service = await startServiceProcess(processArgs);
    for (const slug of [BENCH_CUSTOMER, ...(args.extraCustomers ?? [])]) await service.cli(['customer', 'add', slug]);
  } catch (error) {
    await database.drop();
    throw error;
  }
  return {
    get service() {
      return service;
    },
    database,
    jobCounts: () => countJobs(database.url),
    async restart(restartArgs) {
      await service.stop();
      const peak = service.peakRssMiB();
      service = await startServiceProcess({ ...processArgs, worker: restartArgs.worker });
      return peak;
    },
    async close() {
      await service.stop();
      const peak = service.peakRssMiB();
      await database.drop();
      await rm(workDir, { recursive: true, force: true });
      return peak;
    },
  };
}

export function countJobs(databaseUrl: string): Promise<Record<string, number>> {
  return withAdmin(databaseUrl, async (client) => {
    const { rows } = await client.query<{ status: string; n: string }>('SELECT status, count(*) AS n FROM jobs GROUP BY status');
    return Object.fromEntries(rows.map((row) => [row.status, Number(row.n)]));
  });
}
