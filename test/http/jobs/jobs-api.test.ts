import assert from 'node:assert/strict';
import { createApiKey, revokeApiKey } from '../../../src/db/api-keys-repository.js';
import { findCustomerBySlug } from '../../../src/db/customers-repository.js';
import { startTestService, TEST_ADMIN_KEY, type TestService } from '../../support/start-test-service.js';

describe('jobs API over HTTP', () => {
  let t: TestService;
  let base: string;
  let bobsKey: string;
  const jobIds: Record<string, string[]> = { bobs_burgers: [], krusty_krab: [] };

  before(async () => {
    t = await startTestService({ customers: ['bobs_burgers', 'krusty_krab'], overrides: { worker: { enabled: false } } });
    base = `${t.service.httpUrl}/api/1.0`;
    const bobs = await findCustomerBySlug(t.service.database.db, 'bobs_burgers');
    bobsKey = (await createApiKey(t.service.database.db, { customerId: bobs!.id, label: 'bobs' })).key;
    for (const customer of ['bobs_burgers', 'krusty_krab'] as const) {
      for (let n = 0; n < 7; n += 1) {
        const { job } = await t.service.accept(
          t.echoArrival({ rows: 1, tag: `${customer}-${n}` }, { customer, receivedAt: new Date(Date.UTC(2023, 0, 1, 0, 0, n)) }),
        );
        jobIds[customer]!.push(job.id);
      }
    }
  });
  after(async () => {
    await t?.stop();
  });

  async function get(path: string, key: string | null = TEST_ADMIN_KEY): Promise<{ status: number; body: any }> {
    const response = await fetch(`${base}${path}`, { headers: key === null ? {} : { 'X-Api-Key': key } });
    return { status: response.status, body: await response.json() };
  }

  it('answers 401 with a JSON error for a missing, wrong, huge or revoked key', async () => {
    for (const key of [null, '', 'wrong', 'x'.repeat(10_000), `${TEST_ADMIN_KEY}x`, 'é']) {
      const { status, body } = await get('/jobs', key);
      assert.equal(status, 401, `key ${String(key).slice(0, 10)}`);
      assert.deepEqual(body, { error: { code: 'UNAUTHORIZED', message: 'a valid X-Api-Key header is required' } });
    }
  });

  it('stops accepting a key as soon as it is revoked', async () => {
    const { key, id } = await createApiKey(t.service.database.db, { customerId: null, label: 'short-lived' });
    assert.equal((await get('/jobs', key)).status, 200);
    assert.equal(await revokeApiKey(t.service.database.db, id), true);
    assert.equal((await get('/jobs', key)).status, 401);
  });

  it('serves /healthz without a key', async () => {
    const response = await fetch(`${t.service.httpUrl}/healthz`);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { status: 'ok' });
  });

  it('lists jobs newest first with the documented shape, and pages with a cursor', async () => {
    const first = await get('/jobs?customer=bobs_burgers&limit=3');
    assert.equal(first.status, 200);
    assert.equal(first.body.jobs.length, 3);
    const job = first.body.jobs[0];
    assert.deepEqual(Object.keys(job).sort(), [
      'category',
      'customer',
      'error',
      'finishedAt',
      'group',
      'id',
      'receivedAt',
      'source',
      'startedAt',
      'stats',
      'status',
      'type',
    ]);
    assert.equal(job.receivedAt, '2023-01-01T00:00:06.000Z');
    assert.equal(job.status, 'queued');
    assert.equal(job.error, null);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { status: number; body: any } = await get(`/jobs?customer=bobs_burgers&limit=3${cursor === null ? '' : `&cursor=${cursor}`}`);
      seen.push(...page.body.jobs.map((item: { id: string }) => item.id));
      cursor = page.body.next;
    } while (cursor !== null);
    assert.deepEqual(seen, [...jobIds.bobs_burgers!].reverse());
  });

  it('filters by status and type, and names the field of a bad parameter', async () => {
    assert.equal((await get('/jobs?status=succeeded')).body.jobs.length, 0);
    assert.equal((await get('/jobs?status=queued,failed&type=test/echo&limit=100')).body.jobs.length, 14);
    const bad = await get('/jobs?status=exploded');
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.code, 'BAD_REQUEST');
    assert.match(bad.body.error.message, /^status:/);
    assert.equal((await get('/jobs?limit=abc')).status, 400);
    assert.equal((await get('/jobs?cursor=garbage')).status, 400);
    assert.equal((await get('/jobs?limit=1000000')).body.jobs.length, 14, 'limit is clamped, not rejected');
  });

  it('shows a job with its events and staged paths', async () => {
    const id = jobIds.bobs_burgers![0]!;
    const { status, body } = await get(`/jobs/${id}`);
    assert.equal(status, 200);
    assert.equal(body.id, id);
    assert.match(body.paths.inbox, /^inbox\/bobs_burgers\/test\/echo\/icecream_machine\/20230101_000000$/);
    assert.equal(body.events[0].kind, 'staged');
    assert.equal(body.files[0].name, 'instruction.json');
    assert.equal((await get('/jobs/00000000-0000-4000-8000-000000000000')).status, 404);
    assert.equal((await get('/jobs/not-a-uuid')).status, 404);
  });

  it('scopes a customer key to its own jobs: 404 for the other customer, never listed', async () => {
    const own = await get('/jobs?limit=100', bobsKey);
    assert.deepEqual(own.body.jobs.map((job: { id: string }) => job.id).sort(), [...jobIds.bobs_burgers!].sort());
    assert.deepEqual((await get('/jobs?customer=krusty_krab', bobsKey)).body.jobs, []);
    for (const id of jobIds.krusty_krab!) {
      const other = await get(`/jobs/${id}`, bobsKey);
      assert.equal(other.status, 404);
      assert.deepEqual(other.body, { error: { code: 'NOT_FOUND', message: 'job not found' } });
    }
    assert.equal((await get(`/jobs/${jobIds.bobs_burgers![0]}`, bobsKey)).status, 200);
  });

  it('answers unknown routes with a JSON 404', async () => {
    const response = await fetch(`${t.service.httpUrl}/nope`);
    assert.equal(response.status, 404);
    assert.equal(((await response.json()) as { error: { code: string } }).error.code, 'NOT_FOUND');
  });
});
