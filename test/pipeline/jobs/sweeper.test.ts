import assert from 'node:assert/strict';
import { sql } from 'kysely';
import winston from 'winston';
import type { JobRow } from '../../../src/db/database-schema.js';
import { claimNextJob, extendLease } from '../../../src/db/job-queue-repository.js';
import { findJob, listJobEvents } from '../../../src/db/jobs-repository.js';
import { ModuleRegistry } from '../../../src/modules/registry.js';
import type { PipelineDeps } from '../../../src/pipeline/pipeline-deps.js';
import { Sweeper } from '../../../src/pipeline/jobs/sweeper.js';
import { echoModule } from '../../support/echo-module.js';
import { startTestService, type TestService } from '../../support/start-test-service.js';

/**
 * The sweeper's decisions about running jobs, on rows in the states a dead or a stuck worker
 * leaves behind. (Killed worker processes: killed-worker-recovery.test.ts.)
 */
describe('sweeper: expired leases and timeouts', () => {
  let t: TestService;
  let deps: PipelineDeps;
  let sweeper: Sweeper;
  const owner = 'gone-node:4242:abcdef:1';
  beforeEach(async () => {
    t = await startTestService({ overrides: { worker: { enabled: false, maxAttempts: 3 } } });
    // Only this test sweeps, once per step.
    await t.service.sweeper?.stop();
    deps = { db: t.service.database.db, config: t.config, registry: new ModuleRegistry([echoModule]), logger: winston.createLogger({ silent: true }) };
    sweeper = new Sweeper(deps);
  });
  afterEach(async () => {
    await t?.stop();
  });

  /** A job claimed by a worker that is then left alone (the test plays that worker). */
  async function claimedJob(): Promise<JobRow> {
    const { job } = await t.service.accept(t.echoArrival({ rows: 1 }));
    const claimed = await claimNextJob(deps.db, { owner, node: t.config.node.name, anyNode: false, leaseSeconds: 60, moduleKeys: ['test/echo'] });
    assert.equal(claimed?.id, job.id);
    return claimed;
  }

  /** Moves the claimed attempt's clock marks into the past, in seconds relative to now. */
  async function setTimes(
    jobId: string,
    times: { readonly deadline: number; readonly leaseExpires: number; readonly heartbeat: number; readonly attempts?: number },
  ): Promise<void> {
    await sql`UPDATE jobs SET deadline_at = now() + make_interval(secs => ${times.deadline}), lease_expires_at = now() + make_interval(secs => ${times.leaseExpires}),
      heartbeat_at = now() + make_interval(secs => ${times.heartbeat}), attempts = coalesce(${times.attempts ?? null}::int, attempts) WHERE id = ${jobId}`.execute(
      deps.db,
    );
  }

  async function kinds(jobId: string): Promise<string[]> {
    return (await listJobEvents(deps.db, jobId)).map((event) => event.kind);
  }

  it('re-queues with backoff, never times out, a job whose worker died and whose deadline passed meanwhile', async () => {
    const job = await claimedJob();
    // Died 70 s ago, just before a heartbeat; the deadline passed while nobody ran the job.
    await setTimes(job.id, { heartbeat: -70, leaseExpires: -10, deadline: -5 });
    await sweeper.sweepOnce();
    const swept = await findJob(deps.db, job.id);
    assert.equal(swept?.status, 'queued');
    assert.equal(swept?.error_code, null);
    assert.ok(swept !== undefined && swept.run_after.getTime() > Date.now(), 'retried after a backoff');
    assert.deepEqual(await kinds(job.id), ['staged', 'claimed', 'lease_expired']);
  });

  it('fails with LEASE_EXPIRED, never leaves running or times out, a job whose worker died on its last attempt', async () => {
    const job = await claimedJob();
    await setTimes(job.id, { heartbeat: -70, leaseExpires: -10, deadline: -5, attempts: 3 });
    await sweeper.sweepOnce();
    const swept = await findJob(deps.db, job.id);
    assert.equal(swept?.status, 'failed');
    assert.equal(swept?.error_code, 'LEASE_EXPIRED');
    assert.match(swept?.error_message ?? '', /attempt 3 of 3; no attempts left/);
    assert.ok(swept?.finished_at instanceof Date);
    assert.equal(swept?.lease_owner, null);
    assert.deepEqual(await kinds(job.id), ['staged', 'claimed', 'lease_expired']);
  });

  it('does not count time after the worker died: the job waits for its lease and is re-queued, not timed out', async () => {
    const job = await claimedJob();
    // The worker's last heartbeat came before the deadline; its lease has not run out yet.
    await setTimes(job.id, { heartbeat: -20, leaseExpires: 40, deadline: -1 });
    await sweeper.sweepOnce();
    assert.equal((await findJob(deps.db, job.id))?.status, 'running', 'no proof the job ran past its deadline');
    await setTimes(job.id, { heartbeat: -61, leaseExpires: -1, deadline: -42 });
    await sweeper.sweepOnce();
    assert.equal((await findJob(deps.db, job.id))?.status, 'queued');
    assert.deepEqual(await kinds(job.id), ['staged', 'claimed', 'lease_expired']);
  });

  it('times out a job whose worker still renews its lease after the deadline (a module ignoring the abort)', async () => {
    const job = await claimedJob();
    await setTimes(job.id, { heartbeat: -30, leaseExpires: 30, deadline: -2 });
    assert.deepEqual(await extendLease(deps.db, { jobId: job.id, owner, leaseSeconds: 60 }), { owned: true, cancelRequested: false });
    await sweeper.sweepOnce();
    const swept = await findJob(deps.db, job.id);
    assert.equal(swept?.status, 'timed_out');
    assert.equal(swept?.error_code, 'JOB_TIMEOUT');
    assert.deepEqual(await kinds(job.id), ['staged', 'claimed', 'timed_out']);
    // The stuck worker's late finish is fenced off.
    assert.equal((await extendLease(deps.db, { jobId: job.id, owner, leaseSeconds: 60 })).owned, false);
  });
});
