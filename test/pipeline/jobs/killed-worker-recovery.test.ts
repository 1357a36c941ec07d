import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { listJobEvents } from '../../../src/db/jobs-repository.js';
import { spawnWorkerProcess, type WorkerProcess } from '../../support/spawn-worker-process.js';
import { startTestService, type TestService } from '../../support/start-test-service.js';

/**
 * A job whose worker process was killed (SIGKILL) is retried, however the deadline and the
 * restarts fall: never `timed_out` for the time no process ran it. This process only stages
 * jobs and never sweeps; the worker processes do all the work and housekeeping.
 */
describe('a job whose worker was killed', function () {
  this.timeout(120_000);
  let t: TestService;
  const processes: WorkerProcess[] = [];
  // A job's timeout is fixed when it is staged, by the staging process's settings.
  const TIMEOUT_SECONDS = 4;
  beforeEach(async () => {
    t = await startTestService({ overrides: { worker: { enabled: false }, modules: { 'test/echo': { timeoutSeconds: TIMEOUT_SECONDS } } } });
    await t.service.sweeper?.stop();
  });
  afterEach(async () => {
    for (const worker of processes.splice(0)) {
      worker.kill('SIGTERM');
      await worker.exited;
    }
    await t?.stop();
  });

  async function spawn(overrides: Record<string, unknown>): Promise<WorkerProcess> {
    const worker = await spawnWorkerProcess({ databaseUrl: t.database.url, dataRoot: t.dataRoot, overrides });
    processes.push(worker);
    return worker;
  }

  async function kill(worker: WorkerProcess): Promise<void> {
    worker.kill('SIGKILL');
    await worker.exited;
    processes.splice(processes.indexOf(worker), 1);
  }

  /** Waits until the database's clock is past the job's `column` (its deadline or lease expiry). */
  async function waitUntilPast(jobId: string, column: 'deadline_at' | 'lease_expires_at'): Promise<void> {
    for (;;) {
      const { rows } = await sql<{ past: boolean }>`SELECT ${sql.ref(column)} < now() AS past FROM jobs WHERE id = ${jobId}`.execute(t.service.database.db);
      if (rows[0]?.past === true) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async function assertRetriedOnce(jobId: string, args: { readonly deadlinePassedFirst: boolean }): Promise<void> {
    const done = await t.waitForStatus(jobId, ['succeeded', 'failed', 'timed_out'], 30_000);
    assert.equal(done.status, 'succeeded', `${done.status}: ${done.error_code ?? ''} ${done.error_message ?? ''}`);
    assert.equal(done.attempts, 2);
    const rows = await sql<{ rows: string }>`SELECT count(*) AS rows FROM test_echo_rows WHERE job_id = ${jobId}`.execute(t.service.database.db);
    assert.equal(Number(rows.rows[0]?.rows), 2, 'rows written exactly once');
    const events = await listJobEvents(t.service.database.db, jobId);
    assert.deepEqual(
      events.map((event) => event.kind),
      ['staged', 'claimed', 'lease_expired', 'claimed', 'finished'],
    );
    if (args.deadlinePassedFirst) {
      // The scenario held: the first attempt's deadline was over before the job was re-queued.
      const [claimedAt, expiredAt] = [events[1]?.at.getTime() ?? 0, events[2]?.at.getTime() ?? 0];
      assert.ok(expiredAt - claimedAt > TIMEOUT_SECONDS * 1000, `re-queued ${expiredAt - claimedAt} ms after the claim`);
    }
  }

  it('is retried, not timed out, when it was killed shortly before its deadline and its lease outlives the deadline', async () => {
    // The lease (8 s) outlasts the deadline (4 s): a live sweeper sees the deadline pass while
    // the dead worker's lease still holds. The job was not running then, so it must wait.
    const overrides = { worker: { leaseSeconds: 8, heartbeatSeconds: 2 }, sweeper: { intervalSeconds: 1 } };
    const first = await spawn(overrides);
    const { job } = await t.service.accept(t.echoArrival({ rows: 2, sleepMs: 1000 }));
    await t.waitForStatus(job.id, ['running']);
    await kill(first);
    await spawn(overrides);
    await assertRetriedOnce(job.id, { deadlinePassedFirst: true });
  });

  it('is retried, not timed out, when its deadline passed before a process came back (crash after crash)', async () => {
    const overrides = { worker: { leaseSeconds: 3, heartbeatSeconds: 1 }, sweeper: { intervalSeconds: 1 } };
    const first = await spawn(overrides);
    const { job } = await t.service.accept(t.echoArrival({ rows: 2, sleepMs: 1500 }));
    await t.waitForStatus(job.id, ['running']);
    await kill(first);
    // A run that crashes again before its first sweep leaves the job exactly like this.
    await waitUntilPast(job.id, 'deadline_at');
    await spawn(overrides);
    await assertRetriedOnce(job.id, { deadlinePassedFirst: true });
  });

  it('is re-queued at start-up, before any sweep, once its lease expired', async () => {
    const overrides = { worker: { leaseSeconds: 3, heartbeatSeconds: 1 }, sweeper: { intervalSeconds: 3600 } };
    const first = await spawn(overrides);
    const { job } = await t.service.accept(t.echoArrival({ rows: 2, sleepMs: 2000 }));
    await t.waitForStatus(job.id, ['running']);
    await kill(first);
    await waitUntilPast(job.id, 'lease_expires_at');
    // This process never sweeps within the test: only its start-up can give the job back.
    await spawn(overrides);
    await assertRetriedOnce(job.id, { deadlinePassedFirst: false });
  });
});
