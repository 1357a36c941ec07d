import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import { listJobEvents } from '../../../src/db/jobs-repository.js';
import { spawnWorkerProcess } from '../../support/spawn-worker-process.js';
import { startTestService, type TestService } from '../../support/start-test-service.js';

describe('workers in separate processes', function () {
  this.timeout(120_000);
  let t: TestService;
  // This process only stages jobs; the worker processes run them.
  beforeEach(async () => {
    t = await startTestService({ overrides: { worker: { enabled: false } } });
  });
  afterEach(async () => {
    await t?.stop();
  });

  async function rowsPerJob(): Promise<Map<string, number>> {
    const result = await sql<{ job_id: string; rows: string }>`SELECT job_id, count(*) AS rows FROM test_echo_rows GROUP BY job_id`.execute(
      t.service.database.db,
    );
    return new Map(result.rows.map((row) => [row.job_id, Number(row.rows)]));
  }

  it('re-runs a job exactly once after its worker is killed with SIGKILL mid-job', async () => {
    const overrides = { worker: { leaseSeconds: 3, heartbeatSeconds: 1 } };
    const first = await spawnWorkerProcess({ databaseUrl: t.database.url, dataRoot: t.dataRoot, overrides });
    const { job } = await t.service.accept(t.echoArrival({ rows: 4, sleepMs: 2500 }));
    await t.waitForStatus(job.id, ['running']);
    // Mid-job: once its copy in tmp/ exists (a loaded machine can lag between the claim and the copy).
    const tmpFolder = path.join(t.dataRoot, 'tmp', job.relative_path);
    for (let waited = 0; !existsSync(tmpFolder) && waited < 10_000; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));
    first.kill('SIGKILL');
    await first.exited;
    assert.ok(existsSync(path.join(t.dataRoot, 'tmp', job.relative_path)), 'the killed worker left its tmp folder');

    const second = await spawnWorkerProcess({ databaseUrl: t.database.url, dataRoot: t.dataRoot, overrides });
    try {
      const done = await t.waitForStatus(job.id, ['succeeded', 'failed'], 30_000);
      assert.equal(done.status, 'succeeded');
      assert.equal(done.attempts, 2);
      assert.equal((await rowsPerJob()).get(job.id), 4, 'rows written exactly once');
      const kinds = (await listJobEvents(t.service.database.db, job.id)).map((event) => event.kind);
      assert.deepEqual(kinds, ['staged', 'claimed', 'lease_expired', 'claimed', 'finished']);
      const tmpDir = path.join(t.dataRoot, 'tmp', job.relative_path);
      for (let waited = 0; existsSync(tmpDir) && waited < 3000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(existsSync(tmpDir), false, 'tmp cleaned after the rerun');
    } finally {
      second.kill('SIGTERM');
      await second.exited;
    }
  });

  it('never runs the same job twice with two worker processes on one database', async () => {
    const overrides = { worker: { concurrency: 4 } };
    const workers = await Promise.all([1, 2].map(() => spawnWorkerProcess({ databaseUrl: t.database.url, dataRoot: t.dataRoot, overrides })));
    try {
      const ids: string[] = [];
      for (let n = 0; n < 150; n += 1) ids.push((await t.service.accept(t.echoArrival({ rows: 1, tag: `job-${n}` }))).job.id);
      for (const id of ids) await t.waitForStatus(id, ['succeeded'], 60_000);
      const rows = await rowsPerJob();
      assert.equal(rows.size, ids.length);
      for (const id of ids) assert.equal(rows.get(id), 1, `job ${id} ran once`);
      const claims = await sql<{ claims: string }>`SELECT count(*) AS claims FROM job_events WHERE kind = 'claimed'`.execute(t.service.database.db);
      assert.equal(Number(claims.rows[0]?.claims), ids.length, 'one claim per job');
      const pids = await sql<{ pids: string }>`SELECT count(DISTINCT pid) AS pids FROM test_echo_rows`.execute(t.service.database.db);
      assert.equal(Number(pids.rows[0]?.pids), 2, 'both processes did work');
    } finally {
      for (const worker of workers) worker.kill('SIGTERM');
      await Promise.all(workers.map((worker) => worker.exited));
    }
  });

  it('releases a running job on SIGTERM after the grace period, and another worker finishes it', async () => {
    const overrides = { shutdown: { graceSeconds: 0.5 } };
    const first = await spawnWorkerProcess({ databaseUrl: t.database.url, dataRoot: t.dataRoot, overrides });
    const { job } = await t.service.accept(t.echoArrival({ rows: 1, sleepMs: 4000 }));
    await t.waitForStatus(job.id, ['running']);
    first.kill('SIGTERM');
    assert.equal(await first.exited, 0);
    const released = await t.waitForStatus(job.id, ['queued']);
    assert.equal(released.attempts, 0, 'a released run does not count as an attempt');
    const second = await spawnWorkerProcess({ databaseUrl: t.database.url, dataRoot: t.dataRoot });
    try {
      assert.equal((await t.waitForStatus(job.id, ['succeeded', 'failed'], 20_000)).status, 'succeeded');
      assert.equal((await rowsPerJob()).get(job.id), 1);
    } finally {
      second.kill('SIGTERM');
      await second.exited;
    }
  });
});
