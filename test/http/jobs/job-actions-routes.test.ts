import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { startTestService, TEST_ADMIN_KEY, type TestService } from '../../support/start-test-service.js';
import { apiClient, type ApiClient } from '../../support/http-client.js';

describe('POST /api/1.0/jobs/:id/retry and /cancel', () => {
  let t: TestService;
  let api: ApiClient;

  before(async () => {
    t = await startTestService({
      customers: ['bobs_burgers'],
      overrides: { http: { rateLimit: { pointsPerSecond: 0 } }, modules: { 'test/echo': { maxAttempts: 1 } } },
    });
    api = apiClient(t.service.httpUrl!, TEST_ADMIN_KEY);
  });
  after(async () => {
    await t?.stop();
  });

  /**
   * A queued job no worker will take yet (due in an hour). The worker may claim a new job before
   * it is parked: then the update finds it running and we try again with a fresh arrival.
   */
  async function parkedJob(tag: string): Promise<string> {
    for (let attempt = 0; ; attempt += 1) {
      const { job } = await t.service.accept(t.echoArrival({ tag: `${tag}-${attempt}`, sleepMs: 50 }));
      const parked = await t.service.database.db
        .updateTable('jobs')
        .set({ run_after: sql<Date>`now() + interval '1 hour'` })
        .where('id', '=', job.id)
        .where('status', '=', 'queued')
        .executeTakeFirst();
      if (parked.numUpdatedRows === 1n) return job.id;
    }
  }

  const events = async (id: string): Promise<string[]> => (await api.get(`/api/1.0/jobs/${id}`)).body.events.map((event: { kind: string }) => event.kind);

  it('retries a failed job: back to queued with attempts reset, recorded, and run again', async () => {
    // Fails once (transient) with a single attempt allowed: failed. The second run succeeds.
    const { job } = await t.service.accept(t.echoArrival({ failTransientTimes: 1, tag: 'flaky' }));
    await t.waitForStatus(job.id, ['failed']);
    const response = await api.post(`/api/1.0/jobs/${job.id}/retry`);
    assert.equal(response.status, 200);
    assert.equal(response.body.job.id, job.id);
    assert.ok(['queued', 'running', 'succeeded'].includes(response.body.job.status));
    const done = await t.waitForStatus(job.id, ['succeeded']);
    assert.equal(done.attempts, 1, 'attempts were reset before the new run');
    const kinds = await events(job.id);
    assert.deepEqual(kinds.slice(kinds.indexOf('retried')), ['retried', 'claimed', 'finished']);
  });

  it('retries timed-out and cancelled jobs too', async () => {
    for (const status of ['timed_out', 'cancelled'] as const) {
      const id = await parkedJob(status);
      await t.service.database.db.updateTable('jobs').set({ status, finished_at: new Date() }).where('id', '=', id).execute();
      const response = await api.post(`/api/1.0/jobs/${id}/retry`);
      assert.equal(response.status, 200, status);
      await t.waitForStatus(id, ['succeeded']);
    }
  });

  it('answers 409 naming the state when a retry is impossible', async () => {
    const { job } = await t.service.accept(t.echoArrival({ tag: 'fine' }));
    await t.waitForStatus(job.id, ['succeeded']);
    const succeeded = await api.post(`/api/1.0/jobs/${job.id}/retry`);
    assert.equal(succeeded.status, 409);
    assert.deepEqual(succeeded.body, { error: { code: 'CONFLICT', message: 'a succeeded job cannot be retried; only failed, timed_out, cancelled jobs can' } });
    const queued = await api.post(`/api/1.0/jobs/${await parkedJob('waiting')}/retry`);
    assert.equal(queued.status, 409);
    assert.match(queued.body.error.message, /^a queued job cannot be retried/);
  });

  it('cancels a queued job at once', async () => {
    const id = await parkedJob('to-cancel');
    const response = await api.post(`/api/1.0/jobs/${id}/cancel`);
    assert.equal(response.status, 200);
    assert.equal(response.body.cancelRequested, false);
    assert.equal(response.body.job.status, 'cancelled');
    assert.deepEqual(response.body.job.error, { code: 'CANCELLED', message: 'cancelled on request' });
    assert.equal((await events(id)).at(-1), 'cancelled');
  });

  it('asks a running job to stop (202) and it ends cancelled at its next checkpoint', async () => {
    const { job } = await t.service.accept(t.echoArrival({ sleepMs: 20_000, rows: 5, tag: 'long' }));
    await t.waitForStatus(job.id, ['running']);
    const first = await api.post(`/api/1.0/jobs/${job.id}/cancel`);
    assert.equal(first.status, 202);
    assert.equal(first.body.cancelRequested, true);
    assert.equal(first.body.job.status, 'running');
    const again = await api.post(`/api/1.0/jobs/${job.id}/cancel`);
    assert.equal(again.status, 202, 'asking twice is harmless');
    const cancelled = await t.waitForStatus(job.id, ['cancelled'], 10_000);
    assert.equal(cancelled.error_code, 'CANCELLED');
    const kinds = await events(job.id);
    assert.equal(kinds.filter((kind) => kind === 'cancel_requested').length, 1);
    assert.equal(kinds.at(-1), 'finished');
    const rows = await sql<{ count: string }>`SELECT count(*) FROM test_echo_rows WHERE job_id = ${job.id}`.execute(t.service.database.db);
    assert.equal(rows.rows[0]!.count, '0', 'nothing was committed');
  });

  it('answers 409 for cancelling a finished job and 404 for an unknown one', async () => {
    const { job } = await t.service.accept(t.echoArrival({ tag: 'finished' }));
    await t.waitForStatus(job.id, ['succeeded']);
    const response = await api.post(`/api/1.0/jobs/${job.id}/cancel`);
    assert.equal(response.status, 409);
    assert.deepEqual(response.body, {
      error: { code: 'CONFLICT', message: 'a succeeded job cannot be cancelled; only queued, unclassified, held, running jobs can' },
    });
    for (const action of ['retry', 'cancel']) {
      assert.equal((await api.post(`/api/1.0/jobs/00000000-0000-4000-8000-000000000000/${action}`)).status, 404);
      assert.equal((await api.post(`/api/1.0/jobs/not-a-uuid/${action}`)).status, 404);
    }
  });
});
