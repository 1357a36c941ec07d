import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startEmbeddedPostgres } from '../../src/db/embedded-postgres.js';
import { Logging } from '../../src/logging/logging.js';
import { formatTable, type BenchRow } from './bench-result.js';
import { buildCompiled } from './compiled-build.js';
import { BIN } from './service-process.js';

const EMBEDDED_PORT_BASE = 40_000;
const EMBEDDED_PORT_SPREAD = 10_000;

/** What every benchmark gets from the harness (bench/run.ts) or from its own command line. */
export interface BenchContext {
  /** The long version (the figures for docs/benchmarks.md) instead of the few-minutes one. */
  readonly full: boolean;
  /** A PostgreSQL server URL; each benchmark makes and drops its own scratch database there. */
  readonly serverUrl: string;
  /** A private temporary folder, removed at the end. */
  readonly workRoot: string;
  /** When set, services run with `--cpu-prof` and write their profiles here. */
  readonly profileDir: string | null;
  /** The service's `bin/dataprocessor.js`: the work tree's (tsx) or a compiled build's (`--compiled`). */
  readonly bin: string;
  log(line: string): void;
}

export type Benchmark = (context: BenchContext) => Promise<BenchRow[]>;

export const DEFAULT_SERVER_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

/**
 * The server to use: `--database-url`, else DATABASE_URL, else an embedded PostgreSQL started
 * for this run (like `npm test`), stopped by the returned `close`.
 */
export async function resolveServer(args: {
  readonly flag: string | undefined;
  readonly env: string | undefined;
  readonly workRoot: string;
}): Promise<{ url: string; close(): Promise<void> }> {
  const given = args.flag ?? args.env;
  if (given !== undefined && given !== '') return { url: given, close: async () => undefined };
  const dir = path.join(args.workRoot, 'embedded-pg');
  const logging = new Logging({ logDir: path.join(dir, 'log'), level: 'warn', console: false });
  const database = await startEmbeddedPostgres({
    dataRoot: dir,
    port: EMBEDDED_PORT_BASE + Math.floor(Math.random() * EMBEDDED_PORT_SPREAD),
    logger: logging.for('bench-db'),
  });
  return {
    url: database.url,
    close: async () => {
      await database.stop();
      await logging.close();
    },
  };
}

/** Whether this module is the script node was started with (a benchmark run on its own). */
export function isMain(moduleUrl: string): boolean {
  return process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(moduleUrl);
}

/** The run's temporary folder; readable by others because an embedded server runs as `postgres`. */
export async function makeWorkRoot(): Promise<string> {
  const workRoot = await mkdtemp(path.join(tmpdir(), 'dp-bench-'));
  await chmod(workRoot, 0o755);
  return workRoot;
}

/**
 * Runs one benchmark from its own command line (`npx tsx bench/<name>.ts [--full]
 * [--database-url URL] [--profile DIR] [--compiled]`) and prints its rows.
 */
export async function runStandalone(benchmark: Benchmark): Promise<void> {
  const { values } = parseArgs({
    options: {
      full: { type: 'boolean', default: false },
      'database-url': { type: 'string' },
      profile: { type: 'string' },
      compiled: { type: 'boolean', default: false },
    },
  });
  const workRoot = await makeWorkRoot();
  const server = await resolveServer({ flag: values['database-url'], env: process.env.DATABASE_URL, workRoot });
  try {
    const rows = await benchmark({
      full: values.full,
      serverUrl: server.url,
      workRoot,
      profileDir: values.profile === undefined ? null : path.resolve(values.profile),
      bin: values.compiled ? await buildCompiled(workRoot) : BIN,
      log: (line) => console.log(line),
    });
    console.log(`\n${formatTable(rows)}`);
  } finally {
    await server.close();
    await rm(workRoot, { recursive: true, force: true });
  }
}
