import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../src/db/embedded-postgres.js';
import { Logging } from '../../src/logging/logging.js';

/**
 * The run's one embedded server. Kept on globalThis: mocha may load this file twice (once for the
 * root hooks, once for the test files, through different loaders), and both copies must see the
 * same server or the root hook would stop nothing and leave it running.
 */
interface TestServerState {
  embedded?: { database: EmbeddedDatabase; dir: string } | undefined;
  starting?: Promise<string> | undefined;
}
const state: TestServerState = ((globalThis as { [key: symbol]: TestServerState })[Symbol.for('dataprocessor.test-server')] ??= {});

/**
 * The server the tests use: DATABASE_URL when set (CI points it at the machine's PostgreSQL),
 * otherwise one embedded PostgreSQL for the whole run, so `npm test` needs nothing installed.
 */
async function serverUrl(): Promise<string> {
  const configured = process.env.DATABASE_URL;
  if (configured !== undefined && configured !== '') return configured;
  state.starting ??= (async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'dp-test-pg-'));
    const logging = new Logging({ logDir: path.join(dir, 'log'), level: 'warn', console: false });
    const port = 20000 + Math.floor(Math.random() * 20000);
    const database = await startEmbeddedPostgres({ dataRoot: dir, port, logger: logging.for('test-db') });
    state.embedded = { database, dir };
    return database.url;
  })();
  return state.starting;
}

export interface TestDatabase {
  readonly url: string;
  drop(): Promise<void>;
}

/** A fresh, empty database for one test file, dropped afterwards (graphile-worker's habit). */
export async function createTestDatabase(): Promise<TestDatabase> {
  const adminUrl = await serverUrl();
  const name = `dp_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}

/** Whether `child` is the run's embedded server: it belongs to the run, not to the test file that started it. */
export function isTestServerProcess(child: ChildProcess): boolean {
  if (state.embedded === undefined) return false;
  const port = new URL(state.embedded.database.url).port;
  const at = child.spawnargs.indexOf('-p');
  return at !== -1 && child.spawnargs[at + 1] === port;
}

/** Stops the embedded server, if this run started one (root hook, after every test). */
export async function stopTestServer(): Promise<void> {
  const { embedded } = state;
  if (embedded === undefined) return;
  state.embedded = undefined;
  state.starting = undefined;
  await embedded.database.stop();
  await rm(embedded.dir, { recursive: true, force: true });
}
