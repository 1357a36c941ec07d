import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { sql } from 'kysely';
import winston from 'winston';
import { ModuleRegistry } from '../../src/modules/registry.js';
import { archiveJobFolder } from '../../src/pipeline/jobs/archive.js';
import { IngestError } from '../../src/core/ingest-error.js';
import type { PipelineDeps } from '../../src/pipeline/pipeline-deps.js';
import { recoverStaging } from '../../src/pipeline/staging/recover-staging.js';
import { IncomingFolder } from '../../src/pipeline/staging/stage.js';
import { echoModule } from '../support/echo-module.js';
import { startTestService, type TestService } from '../support/start-test-service.js';

describe('pipeline robustness', function () {
  this.timeout(60_000);
  let t: TestService;
  let deps: PipelineDeps;
  beforeEach(async () => {
    t = await startTestService({ overrides: { worker: { concurrency: 1, heartbeatSeconds: 1 } } });
    deps = { db: t.service.database.db, config: t.config, registry: new ModuleRegistry([echoModule]), logger: winston.createLogger({ silent: true }) };
  });
  afterEach(async () => {
    await t?.stop();
  });

  it('records an error message with NUL and control characters instead of losing the outcome', async () => {
    const { job } = await t.service.accept(t.echoArrival({ failPermanent: true, failMessage: 'bad byte \u0000 here\u0007 and a newline\nok' }));
    const done = await t.waitForStatus(job.id, ['failed', 'succeeded']);
    assert.equal(done.status, 'failed');
    assert.equal(done.error_message, 'bad byte   here  and a newline\nok');
  });

  it('answers a retry of an arrival still being staged with a transient error, not a premature ack', async () => {
    const arrival = t.echoArrival({ tag: 'in-progress' });
    const { job } = await t.service.accept({ ...arrival, idempotencyKey: 'fixed-key' });
    await sql`UPDATE jobs SET status = 'staging' WHERE id = ${job.id}`.execute(deps.db);
    await assert.rejects(
      t.service.accept({ ...arrival, idempotencyKey: 'fixed-key' }),
      (error: unknown) => error instanceof IngestError && error.code === 'ARRIVAL_IN_PROGRESS' && error.transient,
    );
  });

  it('survives several recoveries at once (instances starting together)', async () => {
    const folders = [];
    for (let n = 0; n < 12; n += 1) {
      const folder = await IncomingFolder.create(t.dataRoot);
      await folder.writeFile({ name: 'instruction.json', source: `{"rows":1,"tag":"r${n}"}` });
      await folder.complete({
        manifestVersion: 1,
        stagingId: folder.id,
        idempotencyKey: `recover:${n}`,
        source: 'api',
        sourceRef: {},
        hints: {},
        customer: 'bobs_burgers',
        category: 'test',
        type: 'echo',
        group: 'g',
        classified: true,
        receivedAt: new Date().toISOString(),
        node: t.config.node.name,
      });
      folders.push(folder);
    }
    // Staggered starts: a later recovery finds the staging rows an earlier one is recording.
    const reports = await Promise.all(
      [0, 1, 2, 3, 4, 5, 6, 7].map(async (n) => {
        await new Promise((resolve) => setTimeout(resolve, n * 15));
        return recoverStaging(deps, { olderThanSeconds: 0 });
      }),
    );
    // Each folder is recorded by exactly one folder branch: a staging row that another recovery
    // is recording right now is behind the same per-folder lock, so no row branch finishes it.
    assert.equal(
      reports.reduce((sum, report) => sum + report.recordedFolders, 0),
      12,
    );
    assert.equal(
      reports.reduce((sum, report) => sum + report.completedJobs, 0),
      0,
    );
    assert.equal(
      reports.reduce((sum, report) => sum + report.droppedPartial, 0),
      0,
    );
    const jobs = await sql<{
      count: string;
      staging: string;
    }>`SELECT count(*), count(*) FILTER (WHERE status = 'staging') AS staging FROM jobs WHERE idempotency_key LIKE 'recover:%'`.execute(deps.db);
    assert.equal(Number(jobs.rows[0]?.count), 12);
    assert.equal(Number(jobs.rows[0]?.staging), 0, 'every job left staging (the worker may already run them)');
    assert.deepEqual(await readdir(path.join(t.dataRoot, 'inbox', '.incoming')), []);
  });

  it('starts although an incoming folder holds a half-written manifest, and drops that folder', async () => {
    await t.service.stop();
    const broken = path.join(t.dataRoot, 'inbox', '.incoming', 'broken-arrival');
    await mkdir(broken, { recursive: true });
    await writeFile(path.join(broken, 'message.eml'), 'Subject: x\r\n\r\n');
    await writeFile(path.join(broken, 'manifest.json'), '{"manifestVer');
    const old = new Date(Date.now() - 3600_000);
    for (const name of await readdir(broken)) await utimes(path.join(broken, name), old, old);
    await utimes(broken, old, old);
    const restarted = await startTestService({ customers: [], overrides: { dataRoot: t.dataRoot, database: { url: t.database.url } } });
    try {
      assert.equal(existsSync(broken), false);
    } finally {
      await restarted.stop();
    }
  });

  it('stops within the grace period even when every worker slot is busy, releasing the job', async () => {
    const { job } = await t.service.accept(t.echoArrival({ sleepMs: 20_000, tag: 'busy' }));
    await t.waitForStatus(job.id, ['running']);
    const started = Date.now();
    await t.service.worker?.stop(0.5);
    assert.ok(Date.now() - started < 5000, `stop took ${Date.now() - started} ms`);
    const released = await t.waitForStatus(job.id, ['queued']);
    assert.equal(released.attempts, 0);
  });

  it('archives as a copy, a .tar.gz or a .zip', async () => {
    const { job } = await t.service.accept(t.echoArrival({ tag: 'archive-me' }));
    for (const [mode, expected] of [
      ['copy', ['instruction.json', 'manifest.json']],
      ['tar.gz', ['original.tar.gz']],
      ['zip', ['original.zip']],
    ] as const) {
      const target = await archiveJobFolder({ dataRoot: t.dataRoot, archiveRoot: path.join(t.dataRoot, 'archive'), relativePath: job.relative_path, mode });
      assert.ok(target !== null);
      assert.deepEqual((await readdir(target)).sort(), [...expected]);
    }
    const siblings = await readdir(path.dirname(path.join(t.dataRoot, 'archive', job.relative_path)));
    assert.ok(
      siblings.every((name) => !name.includes('.building-')),
      'no temporary archive left',
    );
  });

  it('refuses an arrival that does not fit on the disk instead of acknowledging a truncated file', async function () {
    const mountPoint = await mkdtemp(path.join(tmpdir(), 'dp-full-'));
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', mountPoint], { stdio: 'ignore' });
    } catch {
      await rm(mountPoint, { recursive: true, force: true });
      this.skip();
    }
    try {
      const folder = await IncomingFolder.create(mountPoint);
      await assert.rejects(
        folder.writeFile({ name: 'big.bin', source: Readable.from([Buffer.alloc(200_000, 1), Buffer.alloc(200_000, 2)]) }),
        (error: unknown) => {
          const code = (error as { code?: string }).code;
          return code === 'STORAGE_LOW' || code === 'ENOSPC';
        },
      );
      assert.deepEqual(await readdir(folder.dir), [], 'no partial file is left');
    } finally {
      execFileSync('umount', [mountPoint]);
      await rm(mountPoint, { recursive: true, force: true });
    }
  });
});
