import assert from 'node:assert/strict';
import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Kysely } from 'kysely';
import winston from 'winston';
import type { Database, JobRow } from '../../../src/db/database-schema.js';
import { findJobByIdempotencyKey } from '../../../src/db/jobs-repository.js';
import { addCustomer } from '../../../src/db/customers-repository.js';
import { startService, type RunningService } from '../../../src/main.js';
import { ModuleRegistry } from '../../../src/modules/registry.js';
import { sanitizeSegment } from '../../../src/pipeline/paths.js';
import type { PipelineDeps } from '../../../src/pipeline/pipeline-deps.js';
import type { SpoolRecord } from '../../../src/pipeline/spool/spool-record.js';
import { echoModule } from '../../support/echo-module.js';
import { makeDataRoot, makeTestConfig } from '../../support/test-config.js';
import { createTestDatabase, type TestDatabase } from '../../support/test-database.js';

export async function jobOf(db: Kysely<Database>, record: SpoolRecord): Promise<JobRow> {
  const job = await findJobByIdempotencyKey(db, record.manifest.idempotencyKey);
  assert.ok(job !== undefined, `a job for ${record.manifest.idempotencyKey}`);
  return job;
}

/** The folder holds exactly the record's files, byte for byte, and its manifest.json. */
export async function assertFolderHolds(folder: string, record: SpoolRecord): Promise<void> {
  const names = record.manifest.files.map((file) => file.name);
  assert.deepEqual((await readdir(folder)).sort(), [...names, 'manifest.json'].sort());
  for (const [index, name] of names.entries()) {
    assert.ok((await readFile(path.join(folder, name))).equals(record.contents[index] as Buffer), `${name} byte for byte`);
  }
  assert.deepEqual(JSON.parse(await readFile(path.join(folder, 'manifest.json'), 'utf8')), record.manifest);
}

export interface SpoolCrashHarness {
  readonly dataRoot: string;
  /** Where the node's spool segments live. */
  readonly spoolDir: string;
  /** The run that "crashed": a real service with the spool off, for the migrations, the customer and its rows. */
  startCrashedRun(): Promise<{ readonly db: Kysely<Database>; readonly deps: PipelineDeps }>;
  stopCrashedRun(): Promise<void>;
  /** Writes a segment file by hand into the node's spool folder; returns its path. */
  writeSegment(name: string, bytes: Buffer): Promise<string>;
  /** The next run: a real service with the spool on, on the same database and data root. */
  startNextRun(): Promise<RunningService>;
}

/**
 * A fresh database and data root per test for spool crash scenarios: a first run with the spool
 * off stands for the crashed process, segments are written by hand, a second run replays them.
 * Call inside a `describe`; it registers its own beforeEach/afterEach.
 */
export function spoolCrashHarness(node: string): SpoolCrashHarness {
  let database: TestDatabase | undefined;
  let dataRoot: string | undefined;
  let crashed: RunningService | undefined;
  let next: RunningService | undefined;
  const configFor = (spoolEnabled: boolean): ReturnType<typeof makeTestConfig> =>
    makeTestConfig({
      databaseUrl: (database as TestDatabase).url,
      dataRoot: dataRoot as string,
      overrides: { nodeName: node, worker: { enabled: false }, spool: { enabled: spoolEnabled } },
    });

  beforeEach(async () => {
    database = await createTestDatabase();
    dataRoot = await makeDataRoot();
  });
  afterEach(async () => {
    await crashed?.stop();
    await next?.stop();
    crashed = undefined;
    next = undefined;
    await database?.drop();
    if (dataRoot !== undefined) await rm(dataRoot, { recursive: true, force: true });
  });

  return {
    get dataRoot() {
      return dataRoot as string;
    },
    get spoolDir() {
      return path.join(dataRoot as string, 'spool', sanitizeSegment(node));
    },
    async startCrashedRun() {
      crashed = await startService({ config: configFor(false), modules: [echoModule], logToConsole: false });
      const db = crashed.database.db;
      await addCustomer(db, { slug: 'bobs_burgers', name: 'Bob' });
      return { db, deps: { db, config: crashed.config, registry: new ModuleRegistry([echoModule]), logger: winston.createLogger({ silent: true }) } };
    },
    async stopCrashedRun() {
      await crashed?.stop();
      crashed = undefined;
    },
    async writeSegment(name, bytes) {
      await mkdir(this.spoolDir, { recursive: true });
      const file = path.join(this.spoolDir, name);
      await writeFile(file, bytes);
      return file;
    },
    async startNextRun() {
      next = await startService({ config: configFor(true), modules: [echoModule], logToConsole: false });
      return next;
    },
  };
}
