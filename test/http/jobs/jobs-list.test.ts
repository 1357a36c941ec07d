import assert from 'node:assert/strict';
import { CompiledQuery, sql } from 'kysely';
import { createApiKey } from '../../../src/db/api-keys-repository.js';
import { findCustomerBySlug } from '../../../src/db/customers-repository.js';
import { applyJobFilter } from '../../../src/db/job-filter.js';
import type { Arrival } from '../../../src/pipeline/accept.js';
import { startTestService, TEST_ADMIN_KEY, type TestService } from '../../support/start-test-service.js';
import { apiClient, type ApiClient } from '../../support/http-client.js';

const at = (minute: number): Date => new Date(Date.UTC(2023, 0, 13, 3, minute, 0));

describe('GET /api/1.0/jobs filters and GET /api/1.0/jobs/summary', () => {
  let t: TestService;
  let api: ApiClient;
  let krustyKey: string;
  const ids: Record<string, string> = {};

  async function add(name: string, extra: Partial<Arrival>): Promise<void> {
    const { job } = await t.service.accept(t.echoArrival({ tag: name }, extra));
    ids[name] = job.id;
  }

  before(async () => {
    t = await startTestService({
      customers: ['bobs_burgers', 'krusty_krab'],
      overrides: { worker: { enabled: false }, http: { rateLimit: { pointsPerSecond: 0 } } },
    });
    api = apiClient(t.service.httpUrl!, TEST_ADMIN_KEY);
    const krusty = await findCustomerBySlug(t.service.database.db, 'krusty_krab');
    krustyKey = (await createApiKey(t.service.database.db, { customerId: krusty!.id, label: 'krusty' })).key;

    await add('report', {
      source: 'smtp',
      receivedAt: at(0),
      hints: { subject: 'HYDRAstor System Report icecream_machine', from: 'Grid Admin <grid@bobs.example>', messageId: '<abc.123@grid.bobs.example>' },
    });
    await add('alert', {
      source: 'smtp',
      receivedAt: at(1),
      group: 'fryer',
      hints: { subject: 'Alert: 100% disk used', from: 'alerts@bobs.example', messageId: '<alert-7@grid>' },
    });
    await add('upload', {
      source: 's3',
      receivedAt: at(2),
      sourceRef: { bucket: 'hview-uploads', key: 'uploads/bobs_burgers/icecream_machine/bpdbjobs_2023.txt' },
    });
    await add('krusty', { source: 'smtp', customer: 'krusty_krab', receivedAt: at(3), hints: { subject: 'Krusty System Report' } });
    // No type hint and no matching module: kept as unclassified (category "unclassified", type = source).
    const { moduleKey: _typed, ...untyped } = t.echoArrival({ tag: 'mystery' }, { source: 'api', receivedAt: at(4), hints: { subject: 'who knows' } });
    ids.mystery = (await t.service.accept(untyped)).job.id;
    const db = t.service.database.db;
    await db.updateTable('jobs').set({ status: 'failed', error_code: 'ECHO_BAD_INPUT', error_message: 'bad' }).where('id', '=', ids.alert!).execute();
    await db
      .updateTable('jobs')
      .set({ status: 'succeeded', stats: JSON.stringify({ test_echo_rows: 3 }) })
      .where('id', '=', ids.upload!)
      .execute();
  });
  after(async () => {
    await t?.stop();
  });

  async function listed(query: string, key?: string): Promise<string[]> {
    const response = await api.get(`/api/1.0/jobs${query}`, key);
    assert.equal(response.status, 200, `${query}: ${response.text}`);
    return response.body.jobs.map((job: { id: string }) => Object.entries(ids).find(([, id]) => id === job.id)?.[0] ?? job.id);
  }

  it('lists newest first and filters by several statuses (comma-separated or repeated)', async () => {
    assert.deepEqual(await listed(''), ['mystery', 'krusty', 'upload', 'alert', 'report']);
    assert.deepEqual(await listed('?status=failed,succeeded'), ['upload', 'alert']);
    assert.deepEqual(await listed('?status=failed&status=succeeded'), ['upload', 'alert']);
    assert.deepEqual(await listed('?status=unclassified'), ['mystery']);
  });

  it('filters by customer, source, category, type, category/type and group', async () => {
    assert.deepEqual(await listed('?customer=krusty_krab'), ['krusty']);
    assert.deepEqual(await listed('?source=s3'), ['upload']);
    assert.deepEqual(await listed('?category=unclassified'), ['mystery']);
    assert.deepEqual(await listed('?type=test/echo&customer=bobs_burgers'), ['upload', 'alert', 'report']);
    assert.deepEqual(await listed('?category=test&type=echo&group=fryer'), ['alert']);
  });

  it('filters by receive time: since inclusive, until exclusive, with Z or an offset', async () => {
    assert.deepEqual(await listed(`?received_since=${at(1).toISOString()}&received_until=${at(3).toISOString()}`), ['upload', 'alert']);
    // An unencoded "+01:00" arrives as " 01:00" and is still read as an offset.
    assert.deepEqual(await listed('?received_since=2023-01-13T04:02:00+01:00&received_until=2023-01-13T03:03:00Z'), ['upload']);
    assert.deepEqual(await listed('?received_until=2023-01-13'), []);
  });

  it('searches subject, sender, Message-ID and S3 key case-insensitively, wildcards taken literally', async () => {
    assert.deepEqual(await listed('?q=system%20report'), ['krusty', 'report']);
    assert.deepEqual(await listed('?q=GRID%40BOBS'), ['report']);
    assert.deepEqual(await listed(`?q=${encodeURIComponent('abc.123@grid')}`), ['report']);
    assert.deepEqual(await listed('?q=bpdbjobs_2023'), ['upload']);
    assert.deepEqual(await listed('?q=100%25'), ['alert']);
    assert.deepEqual(await listed('?q=1_0'), [], '_ is not a wildcard');
    assert.deepEqual(await listed('?q=system%20report&customer=bobs_burgers'), ['report']);
  });

  it('serves the text filter from the trigram index (the expression matches migration 0004)', async () => {
    const { sql: text, parameters } = applyJobFilter(t.service.database.db.selectFrom('jobs').selectAll(), { text: 'system report' }).compile();
    const plan = await t.service.database.db.transaction().execute(async (trx) => {
      await sql`SET LOCAL enable_seqscan = off`.execute(trx);
      const explained = await trx.executeQuery<{ 'QUERY PLAN': string }>(CompiledQuery.raw(`EXPLAIN ${text}`, [...parameters]));
      return explained.rows.map((row) => row['QUERY PLAN']).join('\n');
    });
    assert.match(plan, /jobs_search_trgm_idx/);
  });

  it('keeps a customer key to its own jobs whatever it asks for', async () => {
    assert.deepEqual(await listed('', krustyKey), ['krusty']);
    assert.deepEqual(await listed('?customer=bobs_burgers', krustyKey), []);
    assert.deepEqual(await listed('?q=system%20report', krustyKey), ['krusty']);
  });

  it('clamps the limit and pages with the cursor', async () => {
    const first = await api.get('/api/1.0/jobs?limit=2');
    assert.equal(first.body.jobs.length, 2);
    assert.equal(typeof first.body.next, 'string');
    const second = await api.get(`/api/1.0/jobs?limit=2&cursor=${first.body.next}`);
    assert.deepEqual(
      second.body.jobs.map((job: { id: string }) => job.id),
      [ids.upload, ids.alert],
    );
    const all = await api.get('/api/1.0/jobs?limit=999999');
    assert.equal(all.body.jobs.length, 5);
    assert.equal(all.body.next, null);
  });

  it('names the field of every bad parameter in a 400', async () => {
    const cases: Array<[string, RegExp]> = [
      ['?status=exploded', /^status: unknown status "exploded"/],
      ['?source=carrier_pigeon', /^source: unknown source/],
      ['?limit=-1', /^limit: must be a positive integer/],
      ['?cursor=garbage', /^cursor: /],
      ['?received_since=yesterday', /^received_since: must be an ISO 8601/],
      ['?received_since=2023-01-13T03:00:00', /^received_since: /],
      ['?received_since=2023-02-01&received_until=2023-01-01', /^received_until: must be later/],
      ['?q=ab', /^q: give 3 to 200 characters/],
      ['?stauts=failed', /^stauts: is not a parameter of this route/],
      ['?customer=a&customer=b', /^customer: give it once/],
    ];
    for (const [query, message] of cases) {
      const response = await api.get(`/api/1.0/jobs${query}`);
      assert.equal(response.status, 400, query);
      assert.equal(response.body.error.code, 'BAD_REQUEST');
      assert.match(response.body.error.message, message, query);
    }
  });

  it('counts by status, type and customer over a window', async () => {
    const window = `received_since=${at(0).toISOString()}&received_until=${at(10).toISOString()}`;
    const summary = await api.get(`/api/1.0/jobs/summary?${window}`);
    assert.equal(summary.status, 200);
    assert.deepEqual(summary.body, {
      receivedSince: at(0).toISOString(),
      receivedUntil: at(10).toISOString(),
      total: 5,
      byStatus: { queued: 2, failed: 1, succeeded: 1, unclassified: 1 },
      byType: { 'test/echo': 4, 'unclassified/api': 1 },
      byCustomer: { bobs_burgers: 4, krusty_krab: 1 },
    });
    const narrow = await api.get(`/api/1.0/jobs/summary?received_since=${at(2).toISOString()}&received_until=${at(3).toISOString()}`);
    assert.deepEqual(narrow.body.byStatus, { succeeded: 1 });
    const scoped = await api.get(`/api/1.0/jobs/summary?${window}`, krustyKey);
    assert.deepEqual(scoped.body.byCustomer, { krusty_krab: 1 });
    assert.equal(scoped.body.total, 1);
    const byCustomer = await api.get(`/api/1.0/jobs/summary?${window}&customer=krusty_krab`);
    assert.equal(byCustomer.body.total, 1);
  });

  it('defaults the summary to the last 24 hours and rejects a bad window', async () => {
    const recent = await api.get('/api/1.0/jobs/summary');
    assert.equal(recent.status, 200);
    assert.equal(recent.body.total, 0, 'every test job was received in 2023');
    assert.ok(Math.abs(Date.parse(recent.body.receivedUntil) - Date.now()) < 60_000);
    assert.equal(Date.parse(recent.body.receivedUntil) - Date.parse(recent.body.receivedSince), 24 * 3600 * 1000);
    const bad = await api.get('/api/1.0/jobs/summary?received_since=2023-02-01&received_until=2023-01-01');
    assert.equal(bad.status, 400);
    assert.match(bad.body.error.message, /^received_until: /);
    assert.match((await api.get('/api/1.0/jobs/summary?status=failed')).body.error.message, /^status: is not a parameter/);
  });
});
