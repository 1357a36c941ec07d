import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../../src/config/config-schema.js';
import { addCustomer } from '../../src/db/customers-repository.js';
import { findJob } from '../../src/db/jobs-repository.js';
import type { JobRow, JobStatus } from '../../src/db/database-schema.js';
import { startService, type RunningService } from '../../src/main.js';
import type { AnyIngestModule } from '../../src/modules/types.js';
import type { Arrival } from '../../src/pipeline/accept.js';
import { createEchoTable, echoModule, echoFile, type EchoInstruction } from './echo-module.js';
import { createTestDatabase, type TestDatabase } from './test-database.js';
import { makeDataRoot, makeTestConfig } from './test-config.js';

export const TEST_ADMIN_KEY = 'test-admin-key-0123456789abcdef';

export interface TestService {
  readonly service: RunningService;
  readonly config: Config;
  readonly database: TestDatabase;
  readonly dataRoot: string;
  stop(): Promise<void>;
  waitForStatus(jobId: string, statuses: readonly JobStatus[], timeoutMs?: number): Promise<JobRow>;
  /** Waits until every message acknowledged so far has its job folder (the spool writes them just after the 250). */
  settled(): Promise<void>;
  echoArrival(instruction: EchoInstruction, extra?: Partial<Arrival>): Arrival;
}

/** The real service (real PostgreSQL, real files, real HTTP) with the echo test module. */
export async function startTestService(
  args: { readonly overrides?: Record<string, unknown>; readonly modules?: readonly AnyIngestModule[]; readonly customers?: readonly string[] } = {},
): Promise<TestService> {
  const database = await createTestDatabase();
  const dataRoot = await makeDataRoot();
  const config = makeTestConfig({ databaseUrl: database.url, dataRoot, overrides: { adminApiKey: TEST_ADMIN_KEY, ...args.overrides } });
  const service = await startService({ config, modules: args.modules ?? [echoModule], logToConsole: false });
  await createEchoTable(service.database.db);
  for (const slug of args.customers ?? ['bobs_burgers']) await addCustomer(service.database.db, { slug, name: slug });
  return {
    service,
    config: service.config,
    database,
    dataRoot,
    async stop() {
      await service.stop();
      await database.drop();
      await rm(dataRoot, { recursive: true, force: true });
    },
    async settled() {
      if (service.spool !== null && !(await service.spool.settled(15_000))) {
        const log = await readFile(path.join(service.config.logDir, 'dataprocessor_spool.log'), 'utf8').catch(() => '');
        throw new Error(`the spool still has ${service.spool.backlog()} arrivals without folders\n${log.slice(-2000)}`);
      }
    },
    async waitForStatus(jobId, statuses, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const job = await findJob(service.database.db, jobId);
        if (job !== undefined && statuses.includes(job.status)) return job;
        if (Date.now() > deadline) throw new Error(`job ${jobId} is ${job?.status ?? 'missing'}, expected ${statuses.join('|')}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    echoArrival(instruction, extra = {}) {
      return {
        source: 'api',
        customer: 'bobs_burgers',
        moduleKey: 'test/echo',
        group: instruction.group ?? 'icecream_machine',
        writeFiles: async (folder) => {
          await folder.writeFile({ name: 'instruction.json', source: echoFile(instruction), originalName: 'instruction.json' });
        },
        ...extra,
      };
    },
  };
}
