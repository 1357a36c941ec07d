import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readdir, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { sql } from 'kysely';
import { cleanOrphanedTmp } from '../../../src/pipeline/jobs/clean-orphaned-tmp.js';
import { findJob } from '../../../src/db/jobs-repository.js';
import { insertStagingRows } from '../../../src/pipeline/staging/insert-staging-rows.js';
import { recoverStaging, recoveryLockName } from '../../../src/pipeline/staging/recover-staging.js';
import { IncomingFolder } from '../../../src/pipeline/staging/stage.js';
import { readStagedManifest, type StagedManifest } from '../../../src/pipeline/staging/staged-manifest.js';
import { echoModule, echoFile } from '../../support/echo-module.js';
import { startTestService, type TestService } from '../../support/start-test-service.js';
import { ModuleRegistry } from '../../../src/modules/registry.js';
import type { PipelineDeps } from '../../../src/pipeline/pipeline-deps.js';
import winston from 'winston';

describe('start-up recovery', () => {
  let t: TestService;
  let deps: PipelineDeps;
  beforeEach(async () => {
    t = await startTestService({ overrides: { worker: { enabled: false } } });
    deps = { db: t.service.database.db, config: t.config, registry: new ModuleRegistry([echoModule]), logger: winston.createLogger({ silent: true }) };
  });
  afterEach(async () => {
    await t?.stop();
  });

  async function completeIncoming(tag: string): Promise<IncomingFolder> {
    const folder = await IncomingFolder.create(t.dataRoot);
    await folder.writeFile({ name: 'instruction.json', source: echoFile({ rows: 1, tag }) });
    const manifest: StagedManifest = {
      manifestVersion: 1,
      stagingId: folder.id,
      idempotencyKey: `test:${tag}`,
      source: 'api',
      sourceRef: {},
      hints: {},
      customer: 'bobs_burgers',
      category: 'test',
      type: 'echo',
      group: 'g',
      classified: true,
      receivedAt: '2023-01-13T12:00:00.000Z',
      node: t.config.node.name,
      files: [],
    };
    await folder.complete(manifest);
    return folder;
  }

  it('records a durable folder whose job was never committed, and drops partial ones', async () => {
    const complete = await completeIncoming('orphan');
    const partial = await IncomingFolder.create(t.dataRoot);
    await writeFile(path.join(partial.dir, 'instruction.json.part'), 'half');
    const report = await recoverStaging(deps, { olderThanSeconds: 0 });
    assert.deepEqual(report, { recordedFolders: 1, completedJobs: 0, droppedPartial: 1 });
    assert.equal(existsSync(partial.dir), false);
    assert.equal(existsSync(complete.dir), false, 'moved into its real folder');
    const job = await t.waitForStatus((await sql<{ id: string }>`SELECT id FROM jobs WHERE idempotency_key = 'test:orphan'`.execute(deps.db)).rows[0]!.id, [
      'queued',
    ]);
    assert.equal(job.relative_path, 'bobs_burgers/test/echo/g/20230113_120000');
    assert.ok(existsSync(path.join(t.dataRoot, 'inbox', job.relative_path, 'instruction.json')));
  });

  it('leaves young incoming folders alone (their writer may still be at work)', async () => {
    const young = await completeIncoming('young');
    assert.deepEqual(await recoverStaging(deps), { recordedFolders: 0, completedJobs: 0, droppedPartial: 0 });
    assert.ok(existsSync(young.dir));
    const old = new Date(Date.now() - 3600_000);
    await utimes(young.dir, old, old);
    assert.equal((await recoverStaging(deps)).recordedFolders, 0, 'a file inside written recently keeps it young');
    for (const name of await readdir(young.dir)) await utimes(path.join(young.dir, name), old, old);
    assert.equal((await recoverStaging(deps)).recordedFolders, 1);
  });

  it('completes a staging row whose folder was moved, and drops one whose folder never became durable', async () => {
    const { job } = await t.service.accept(t.echoArrival({ rows: 1, tag: 'interrupted' }));
    await sql`UPDATE jobs SET status = 'staging', created_at = now() - interval '1 hour' WHERE id = ${job.id}`.execute(deps.db);
    await sql`INSERT INTO jobs (idempotency_key, source, customer, category, type, group_name, status, max_attempts, timeout_seconds, relative_path, staging_id, node, received_at, created_at)
      VALUES ('test:lost', 'api', 'bobs_burgers', 'test', 'echo', 'g', 'staging', 3, 60, 'bobs_burgers/test/echo/g/19990101_000000', 'no-such-folder', ${t.config.node.name}, now(), now() - interval '1 hour')`.execute(
      deps.db,
    );
    const report = await recoverStaging(deps, { olderThanSeconds: 60 });
    assert.deepEqual(report, { recordedFolders: 0, completedJobs: 1, droppedPartial: 1 });
    assert.equal((await t.waitForStatus(job.id, ['queued'])).status, 'queued');
    const lost = await sql`SELECT 1 FROM jobs WHERE idempotency_key = 'test:lost'`.execute(deps.db);
    assert.equal(lost.rows.length, 0);
  });

  it("leaves a staging row alone while another recovery holds its folder's lock, and finishes it once that one is gone", async () => {
    const folder = await completeIncoming('racing');
    const manifest = await readStagedManifest(folder.dir);
    assert.ok(manifest !== undefined);
    const lock = recoveryLockName(folder.id);
    // Another instance's folder branch, half-way: it holds the folder's lock and committed the
    // staging row, but has not moved the folder yet.
    const jobId = await deps.db.connection().execute(async (connection) => {
      await sql`SELECT pg_advisory_lock(hashtextextended(${lock}, 0))`.execute(connection);
      try {
        const [inserted] = await insertStagingRows({ ...deps, db: connection }, [{ manifest }]);
        assert.ok(inserted !== undefined && !inserted.duplicate);
        const report = await recoverStaging(deps, { olderThanSeconds: 0 });
        assert.deepEqual(report, { recordedFolders: 0, completedJobs: 0, droppedPartial: 0 }, 'the lock holder finishes it, nobody else');
        assert.ok(existsSync(folder.dir), 'the folder is still where the lock holder will move it from');
        assert.equal((await findJob(deps.db, inserted.job.id))?.status, 'staging');
        return inserted.job.id;
      } finally {
        await sql`SELECT pg_advisory_unlock(hashtextextended(${lock}, 0))`.execute(connection);
      }
    });
    // The lock holder died before finishing: the next recovery completes the row.
    assert.deepEqual(await recoverStaging(deps, { olderThanSeconds: 0 }), { recordedFolders: 0, completedJobs: 1, droppedPartial: 0 });
    const job = await t.waitForStatus(jobId, ['queued']);
    assert.equal(existsSync(folder.dir), false);
    assert.ok(existsSync(path.join(t.dataRoot, 'inbox', job.relative_path, 'instruction.json')));
  });

  it('removes tmp/ folders of jobs that are not running', async () => {
    const orphan = path.join(t.dataRoot, 'tmp', 'bobs_burgers/test/echo/g/20230101_000000');
    await mkdir(orphan, { recursive: true });
    await writeFile(path.join(orphan, 'leftover'), 'x');
    assert.equal(await cleanOrphanedTmp(deps), 0, 'a folder touched a moment ago is left alone');
    assert.equal(await cleanOrphanedTmp(deps, { minIdleSeconds: 0 }), 1);
    assert.deepEqual(await readdir(path.join(t.dataRoot, 'tmp', 'bobs_burgers/test/echo/g')), []);
  });
});
