import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { listJobEvents } from '../../src/db/jobs-repository.js';
import { apiClient, type ApiClient } from '../support/http-client.js';
import { startTestService, TEST_ADMIN_KEY, type TestService } from '../support/start-test-service.js';

const HELD_ARRIVALS = 6;
/** Long enough for the worker (polling every 50 ms) to have taken a job it was allowed to take. */
const SETTLE_MS = 600;

describe('holds (POST /holds, DELETE /holds/:id) with a real worker', function () {
  this.timeout(60_000);
  let t: TestService;
  let api: ApiClient;

  before(async () => {
    t = await startTestService({
      customers: ['bobs_burgers', 'krusty_krab'],
      overrides: { worker: { concurrency: 2, backoffBaseSeconds: 4, backoffMaxSeconds: 4 } },
    });
    api = apiClient(t.service.httpUrl!, TEST_ADMIN_KEY);
  });
  after(async () => {
    await t?.stop();
  });

  const statusOf = async (id: string): Promise<string> => (await api.get(`/api/1.0/jobs/${id}`)).body.status;

  it('keeps matching arrivals held (staged, not run) and runs them in arrival order once released', async () => {
    const byCustomer = await api.post('/api/1.0/holds', { customer: 'bobs_burgers', reason: 'parser fix pending' });
    assert.equal(byCustomer.status, 201);
    const byGroup = await api.post('/api/1.0/holds', { group: 'special' });
    assert.equal((await api.post('/api/1.0/holds', { reason: 'matches everything' })).status, 400, 'a hold must name something');
    assert.equal((await api.post('/api/1.0/holds', { customer: 'bobs_burger' })).body.error?.code, 'CUSTOMER_UNKNOWN', 'a typo is refused');

    // Staged in the reverse of their arrival order: the release must follow received_at, not the order rows were queued.
    const base = Date.now() - 60_000;
    const held: string[] = [];
    for (let n = 0; n < HELD_ARRIVALS; n += 1) {
      const { job } = await t.service.accept(t.echoArrival({ tag: `held-${n}` }, { receivedAt: new Date(base - n * 1000) }));
      held.push(job.id);
    }
    const special = (await t.service.accept(t.echoArrival({ tag: 'special', group: 'special' }))).job.id;
    const free = (await t.service.accept(t.echoArrival({ tag: 'free' }, { customer: 'krusty_krab' }))).job.id;

    await t.waitForStatus(free, ['succeeded']);
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    for (const id of [...held, special]) assert.equal(await statusOf(id), 'held', 'held jobs are not run');
    const listed = await api.get('/api/1.0/holds');
    assert.deepEqual(
      listed.body.holds.map((hold: { heldJobs: number }) => hold.heldJobs),
      [HELD_ARRIVALS + 1, 1],
    );
    const inboxFile = (await api.get(`/api/1.0/jobs/${held[0]}`)).body.files?.[0];
    assert.ok(inboxFile !== undefined, 'a held arrival is staged durably');

    const released = await api.delete(`/api/1.0/holds/${byCustomer.body.id}`);
    assert.equal(released.status, 200);
    assert.equal(released.body.released, HELD_ARRIVALS, 'the job the group hold still matches stays held');
    for (const id of held) await t.waitForStatus(id, ['succeeded']);
    assert.equal(await statusOf(special), 'held');

    const claims = await sql<{ job_id: string }>`
      SELECT job_id FROM job_events WHERE kind = 'claimed' AND job_id IN (${sql.join(held)}) ORDER BY id`.execute(t.service.database.db);
    const arrivalOrder = [...held].reverse();
    assert.deepEqual(
      claims.rows.map((row) => row.job_id),
      arrivalOrder,
      'claimed oldest arrival first',
    );
    const timeline = (await listJobEvents(t.service.database.db, held[0]!)).map((event) => `${event.kind}:${event.status}`);
    assert.deepEqual(timeline.slice(0, 3), ['staged:held', 'released:queued', 'claimed:running']);

    assert.equal((await api.delete(`/api/1.0/holds/${byGroup.body.id}`)).body.released, 1);
    await t.waitForStatus(special, ['succeeded']);
    assert.equal((await api.delete(`/api/1.0/holds/${byGroup.body.id}`)).status, 404);
  });

  it('holds a job already queued when the hold is placed (a retry waiting out its backoff) and keeps its backoff on release', async () => {
    const { job } = await t.service.accept(t.echoArrival({ tag: 'retry', group: 'retrying', failTransientTimes: 1 }));
    let waiting = await t.waitForStatus(job.id, ['queued', 'running']);
    while (waiting.attempts === 0 || waiting.status !== 'queued') {
      await new Promise((resolve) => setTimeout(resolve, 20));
      waiting = await t.waitForStatus(job.id, ['queued']);
    }
    assert.ok(waiting.attempts === 1 && waiting.run_after.getTime() > Date.now(), 'queued again after its first attempt, due later');
    const hold = await api.post('/api/1.0/holds', { group: 'retrying' });
    assert.equal(hold.body.heldJobs, 1);
    assert.equal(await statusOf(job.id), 'held');
    const released = await api.delete(`/api/1.0/holds/${hold.body.id}`);
    assert.equal(released.body.released, 1);
    const requeued = await t.waitForStatus(job.id, ['queued', 'running', 'succeeded']);
    assert.equal(requeued.run_after.getTime(), waiting.run_after.getTime(), 'the backoff is kept');
    await t.waitForStatus(job.id, ['succeeded'], 20_000);
    const kinds = (await listJobEvents(t.service.database.db, job.id)).map((event) => event.kind);
    assert.deepEqual(
      kinds.filter((kind) => kind === 'held' || kind === 'released'),
      ['held', 'released'],
    );
  });
});
