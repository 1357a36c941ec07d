import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { claimJobs } from '../../../src/db/job-queue-repository.js';
import { findJob, listJobEvents } from '../../../src/db/jobs-repository.js';
import type { Worker } from '../../../src/pipeline/jobs/worker.js';
import { echoModule, type EchoInstruction } from '../../support/echo-module.js';
import { spawnWorkerProcess, type WorkerProcess } from '../../support/spawn-worker-process.js';
import { startTestService, type TestService } from '../../support/start-test-service.js';
import { startTestWorker } from '../../support/start-test-worker.js';

/** Several queued jobs claimed by one statement: each still has its own lease, outcome and timeline. */
describe('claiming several jobs at once', function () {
  this.timeout(120_000);
  let t: TestService;
  let worker: Worker | undefined;
  const processes: WorkerProcess[] = [];
  beforeEach(async () => {
    t = await startTestService({ overrides: { worker: { enabled: false } } });
  });
  afterEach(async () => {
    await worker?.stop(5);
    worker = undefined;
    for (const child of processes.splice(0)) {
      child.kill('SIGTERM');
      await child.exited;
    }
    await t?.stop();
  });

  async function stage(instructions: readonly EchoInstruction[]): Promise<string[]> {
    const ids: string[] = [];
    // One by one: their received_at (the claim order) follows the list. Equal instructions would
    // be one arrival (the content is the idempotency key): give them tags.
    for (const instruction of instructions) ids.push((await t.service.accept(t.echoArrival(instruction))).job.id);
    return ids;
  }

  async function rowsOf(jobId: string): Promise<number> {
    const { rows } = await sql<{ rows: string }>`SELECT count(*) AS rows FROM test_echo_rows WHERE job_id = ${jobId}`.execute(t.service.database.db);
    return Number(rows[0]?.rows);
  }

  /** Distinct claim times (`started_at` is the claiming statement's now()) of these jobs. */
  async function claimStatements(ids: readonly string[]): Promise<number> {
    const { rows } = await sql<{ n: string }>`SELECT count(DISTINCT started_at) AS n FROM jobs WHERE id = ANY(${ids}::uuid[])`.execute(t.service.database.db);
    return Number(rows[0]?.n);
  }

  it('leases the oldest due jobs, the n-th to the n-th owner, each with its own claimed event', async () => {
    const ids = await stage([{ tag: 'a' }, { tag: 'b' }, { tag: 'c' }, { tag: 'd' }]);
    const owners = ['w:1', 'w:2', 'w:3'];
    const claimed = await claimJobs(t.service.database.db, { owners, node: t.config.node.name, anyNode: false, leaseSeconds: 60, moduleKeys: ['test/echo'] });
    assert.deepEqual(
      claimed.map((job) => [job.id, job.lease_owner, job.status, job.attempts]),
      ids.slice(0, 3).map((id, n) => [id, owners[n], 'running', 1]),
    );
    assert.equal(await claimStatements(ids.slice(0, 3)), 1);
    for (const [n, job] of claimed.entries()) {
      const events = await listJobEvents(t.service.database.db, job.id);
      assert.deepEqual(
        events.map((event) => [event.kind, event.data]),
        [
          ['staged', events[0]?.data],
          ['claimed', { owner: owners[n] }],
        ],
      );
    }
    assert.equal((await findJob(t.service.database.db, ids[3] ?? ''))?.status, 'queued', 'beyond the owners: left queued');
    // A bounded module adds at most one job to a claim, whatever the free slots.
    const bounded = await claimJobs(t.service.database.db, {
      owners: ['w:4', 'w:5'],
      node: t.config.node.name,
      anyNode: false,
      leaseSeconds: 60,
      // Both parts in one statement: a module with nothing queued, and the bounded one.
      moduleKeys: ['test/none'],
      limitedModuleKeys: ['test/echo'],
    });
    assert.deepEqual(
      bounded.map((job) => job.id),
      [ids[3]],
    );
  });

  it('gives each job of a batch its own outcome: a failing one fails alone, the others succeed, each with its timeline', async () => {
    const ids = await stage([
      { rows: 2 },
      { rows: 1, failPermanent: true, failAt: 'upsert', failMessage: 'bad row' },
      { rows: 3, parseIssues: 2 },
      { failPermanent: true, failMessage: 'bad input' },
      { rows: 1 },
    ]);
    worker = startTestWorker(t, { modules: [echoModule], worker: { concurrency: ids.length } });
    const done = await Promise.all(ids.map((id) => t.waitForStatus(id, ['succeeded', 'failed'], 30_000)));
    assert.equal(await claimStatements(ids), 1, 'all five claimed by one statement');
    assert.deepEqual(
      done.map((job) => [job.status, job.error_code, job.error_message]),
      [
        ['succeeded', null, null],
        ['failed', 'ECHO_BAD_INPUT', 'bad row'],
        ['succeeded', null, null],
        ['failed', 'ECHO_BAD_INPUT', 'bad input'],
        ['succeeded', null, null],
      ],
    );
    assert.deepEqual(await Promise.all(ids.map(rowsOf)), [2, 0, 3, 0, 1], 'the failed upsert rolled back only its own rows');
    assert.equal((done[2]?.parse_issues as { count?: number } | null)?.count, 2);
    for (const [n, id] of ids.entries()) {
      const events = await listJobEvents(t.service.database.db, id);
      assert.deepEqual(
        events.map((event) => [event.kind, event.status]),
        [
          ['staged', 'queued'],
          ['claimed', 'running'],
          ['finished', done[n]?.status],
        ],
        `timeline of job ${n}`,
      );
    }
  });

  it("keeps a module's running jobs within its maxRunning, whatever the free slots", async () => {
    const ids = await stage(['a', 'b', 'c'].map((tag) => ({ sleepMs: 400, tag })));
    worker = startTestWorker(t, { modules: [echoModule], worker: { concurrency: 4 }, moduleSettings: { 'test/echo': { maxRunning: 1 } } });
    let most = 0;
    for (let final = 0; final < ids.length;) {
      const { rows } = await sql<{ status: string; n: string }>`SELECT status, count(*) AS n FROM jobs GROUP BY status`.execute(t.service.database.db);
      const count = (status: string): number => Number(rows.find((row) => row.status === status)?.n ?? 0);
      most = Math.max(most, count('running'));
      final = count('succeeded') + count('failed');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.equal(most, 1);
    assert.equal(await claimStatements(ids), 3, 'one claim each');
  });

  it('re-runs every job of a batch exactly once after its worker process is killed', async () => {
    const ids = await stage([
      { rows: 1, sleepMs: 3000 },
      { rows: 2, sleepMs: 3000 },
      { rows: 3, sleepMs: 3000 },
    ]);
    const overrides = { worker: { concurrency: 3, leaseSeconds: 3, heartbeatSeconds: 1 } };
    const first = await spawnWorkerProcess({ databaseUrl: t.database.url, dataRoot: t.dataRoot, overrides });
    processes.push(first);
    await Promise.all(ids.map((id) => t.waitForStatus(id, ['running'], 30_000)));
    assert.equal(await claimStatements(ids), 1, 'claimed together');
    first.kill('SIGKILL');
    await first.exited;
    processes.splice(0);

    const second = await spawnWorkerProcess({ databaseUrl: t.database.url, dataRoot: t.dataRoot, overrides });
    processes.push(second);
    for (const [n, id] of ids.entries()) {
      const done = await t.waitForStatus(id, ['succeeded', 'failed', 'timed_out'], 60_000);
      assert.equal(done.status, 'succeeded', `${done.error_code ?? ''} ${done.error_message ?? ''}`);
      assert.equal(done.attempts, 2);
      assert.equal(await rowsOf(id), n + 1, 'rows written exactly once');
      assert.deepEqual(
        (await listJobEvents(t.service.database.db, id)).map((event) => event.kind),
        ['staged', 'claimed', 'lease_expired', 'claimed', 'finished'],
      );
    }
  });
});
