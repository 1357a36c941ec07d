import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { startTestService, TEST_ADMIN_KEY, type TestService } from '../support/start-test-service.js';
import { apiClient, mapConcurrent, type ApiClient } from '../support/http-client.js';

const JOBS_PER_CUSTOMER = 1000;
const CONCURRENCY = 16;
const NOT_FOUND = { error: { code: 'NOT_FOUND', message: 'job not found' } };

describe('two customers × 1,000 jobs: a customer key never sees or touches the other’s jobs', function () {
  this.timeout(300_000);
  let t: TestService;
  let api: ApiClient;
  let bobsKey: string;
  const ids: Record<'bobs_burgers' | 'krusty_krab', string[]> = { bobs_burgers: [], krusty_krab: [] };

  const krustyState = async () =>
    (
      await sql<{ id: string; status: string; events: string }>`
    SELECT j.id, j.status, (SELECT count(*) FROM job_events e WHERE e.job_id = j.id) AS events
    FROM jobs j WHERE customer = 'krusty_krab' ORDER BY id`.execute(t.service.database.db)
    ).rows;

  before(async () => {
    t = await startTestService({
      customers: ['bobs_burgers', 'krusty_krab'],
      overrides: { worker: { enabled: false }, http: { rateLimit: { pointsPerSecond: 0 } } },
    });
    api = apiClient(t.service.httpUrl!, TEST_ADMIN_KEY);
    bobsKey = (await api.post('/api/1.0/api-keys', { customer: 'bobs_burgers', label: 'bobs' })).body.key;
    for (const customer of ['bobs_burgers', 'krusty_krab'] as const) {
      const numbers = Array.from({ length: JOBS_PER_CUSTOMER }, (_, n) => n);
      ids[customer] = await mapConcurrent(
        numbers,
        8,
        async (n) =>
          (
            await t.service.accept(
              t.echoArrival(
                { tag: `${customer}-${n}` },
                { customer, receivedAt: new Date(Date.UTC(2023, 0, 1) + n * 1000), hints: { subject: `System Report ${n}` } },
              ),
            )
          ).job.id,
      );
    }
    // Half of each customer's jobs failed: a retry would succeed on them, a cancel on the others.
    await sql`UPDATE jobs SET status = 'failed', error_code = 'X', error_message = 'x' WHERE id IN (SELECT id FROM jobs ORDER BY id LIMIT ${JOBS_PER_CUSTOMER})`.execute(
      t.service.database.db,
    );
  });
  after(async () => {
    await t?.stop();
  });

  it('lists exactly the own 1,000 jobs, page by page, whatever the filters', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: { jobs: Array<{ id: string; customer: string }>; next: string | null } } = await api.get(
        `/api/1.0/jobs?limit=100${cursor === null ? '' : `&cursor=${cursor}`}`,
        bobsKey,
      );
      for (const job of page.body.jobs) assert.equal(job.customer, 'bobs_burgers');
      seen.push(...page.body.jobs.map((job) => job.id));
      cursor = page.body.next;
    } while (cursor !== null);
    assert.equal(seen.length, JOBS_PER_CUSTOMER);
    assert.deepEqual(new Set(seen), new Set(ids.bobs_burgers));

    assert.deepEqual((await api.get('/api/1.0/jobs?customer=krusty_krab', bobsKey)).body.jobs, []);
    const searched = await api.get('/api/1.0/jobs?q=System%20Report%20999&status=failed,queued&limit=100', bobsKey);
    assert.deepEqual(
      searched.body.jobs.map((job: { customer: string }) => job.customer),
      ['bobs_burgers'],
    );
    const summary = await api.get('/api/1.0/jobs/summary?received_since=2022-12-31&received_until=2023-01-02', bobsKey);
    assert.deepEqual(Object.keys(summary.body.byCustomer), ['bobs_burgers']);
    assert.equal(summary.body.total, JOBS_PER_CUSTOMER);
  });

  it('answers 404 for every one of the other customer’s jobs on detail, files, download, retry and cancel', async () => {
    const before = await krustyState();
    const requests = ids.krusty_krab.flatMap((id) => [
      () => api.get(`/api/1.0/jobs/${id}`, bobsKey),
      () => api.get(`/api/1.0/jobs/${id}/files`, bobsKey),
      () => api.get(`/api/1.0/jobs/${id}/files/instruction.json`, bobsKey),
      () => api.post(`/api/1.0/jobs/${id}/retry`, undefined, bobsKey),
      () => api.post(`/api/1.0/jobs/${id}/cancel`, undefined, bobsKey),
    ]);
    const responses = await mapConcurrent(requests, CONCURRENCY, (request) => request());
    assert.equal(responses.length, JOBS_PER_CUSTOMER * 5);
    for (const response of responses) {
      assert.equal(response.status, 404);
      assert.deepEqual(response.body, NOT_FOUND);
    }
    assert.deepEqual(await krustyState(), before, 'no status changed and no event was added');
  });

  it('still lets the key act on its own jobs and the admin on everyone’s', async () => {
    const own = (await sql<{ id: string }>`SELECT id FROM jobs WHERE customer = 'bobs_burgers' AND status = 'failed' LIMIT 1`.execute(t.service.database.db))
      .rows[0]!.id;
    assert.equal((await api.post(`/api/1.0/jobs/${own}/retry`, undefined, bobsKey)).status, 200);
    assert.equal((await api.get(`/api/1.0/jobs/${own}/files/instruction.json`, bobsKey)).status, 200);
    assert.equal((await api.get(`/api/1.0/jobs/${ids.krusty_krab[0]}`)).status, 200);
  });
});
