import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { createApiKey } from '../../../src/db/api-keys-repository.js';
import { findCustomerBySlug } from '../../../src/db/customers-repository.js';
import { apiClient, type ApiClient } from '../../support/http-client.js';
import { startTestService, TEST_ADMIN_KEY, type TestService } from '../../support/start-test-service.js';

interface SourceView {
  customer: string;
  group: string;
  category: string;
  type: string;
  lastJobId: string;
  arrivals: number;
  expectedIntervalHours: number | null;
  silent: boolean;
  quietSeconds: number;
}

describe('source health: GET /api/1.0/sources and dataprocessor_sources_silent', function () {
  this.timeout(60_000);
  let t: TestService;
  let api: ApiClient;
  let otherKey: string;
  const jobIds: Record<string, string> = {};

  before(async () => {
    t = await startTestService({
      customers: ['bobs_burgers', 'jimmys_pizza'],
      overrides: { worker: { enabled: false }, sources: { expectedIntervalHours: { 'test/echo': 1 } } },
    });
    api = apiClient(t.service.httpUrl!, TEST_ADMIN_KEY);
    const other = await findCustomerBySlug(t.service.database.db, 'jimmys_pizza');
    otherKey = (await createApiKey(t.service.database.db, { customerId: other!.id, label: 'jimmy' })).key;
    for (const [name, group, customer] of [
      ['grid1', 'grid1', 'bobs_burgers'],
      ['grid2-first', 'grid2', 'bobs_burgers'],
      ['grid2-second', 'grid2', 'bobs_burgers'],
      ['pizza', 'oven', 'jimmys_pizza'],
    ] as const) {
      const { job } = await t.service.accept(t.echoArrival({ group, tag: name }, { customer }));
      jobIds[name] = job.id;
    }
    // grid1 last sent two hours ago: longer than the module's one-hour interval.
    await sql`UPDATE sources SET last_received_at = now() - interval '2 hours' WHERE group_name = 'grid1'`.execute(t.service.database.db);
  });
  after(async () => t?.stop());

  it('lists every source with its last arrival, arrival count and silent flag (admin key)', async () => {
    const response = await api.get('/api/1.0/sources');
    assert.equal(response.status, 200, response.text);
    const sources = response.body.sources as SourceView[];
    assert.deepEqual(
      sources.map((source) => [source.customer, source.group, `${source.category}/${source.type}`, source.arrivals, source.silent]),
      [
        ['bobs_burgers', 'grid1', 'test/echo', 1, true],
        ['bobs_burgers', 'grid2', 'test/echo', 2, false],
        ['jimmys_pizza', 'oven', 'test/echo', 1, false],
      ],
    );
    assert.equal(sources[1]!.lastJobId, jobIds['grid2-second'], 'the newest arrival is the last job');
    assert.ok(sources[0]!.quietSeconds >= 7200 && sources[0]!.expectedIntervalHours === 1);
    assert.equal(response.body.truncated, false);

    const silent = await api.get('/api/1.0/sources?silent=true');
    assert.deepEqual(
      (silent.body.sources as SourceView[]).map((source) => source.group),
      ['grid1'],
    );
    const grid2 = await api.get('/api/1.0/sources?customer=bobs_burgers&group=grid2&silent=false');
    assert.deepEqual(
      (grid2.body.sources as SourceView[]).map((source) => source.group),
      ['grid2'],
    );
    assert.equal((await api.get('/api/1.0/sources?silent=maybe')).status, 400);
  });

  it('shows a customer key its own sources only', async () => {
    const own = await api.get('/api/1.0/sources', otherKey);
    assert.deepEqual(
      (own.body.sources as SourceView[]).map((source) => [source.customer, source.group]),
      [['jimmys_pizza', 'oven']],
    );
    const foreign = await api.get('/api/1.0/sources?customer=bobs_burgers', otherKey);
    assert.equal(foreign.status, 200);
    assert.deepEqual(foreign.body.sources, []);
    assert.equal((await api.get('/api/1.0/sources', null)).status, 401);
  });

  it('counts silent sources in /metrics', async () => {
    const text = await (await fetch(`${t.service.httpUrl}/metrics`)).text();
    assert.match(text, /^dataprocessor_sources_silent\{customer="bobs_burgers",category="test",type="echo"\} 1$/m);
    assert.doesNotMatch(text, /^dataprocessor_sources_silent\{customer="jimmys_pizza"/m);
  });

  it('keeps a source when retention deletes its jobs, and ignores unclassified arrivals', async () => {
    await sql`DELETE FROM job_events WHERE job_id = ${jobIds.grid1}`.execute(t.service.database.db);
    await sql`DELETE FROM jobs WHERE id = ${jobIds.grid1}`.execute(t.service.database.db);
    const unclassified = await t.service.accept({ ...t.echoArrival({ group: 'nowhere' }), moduleKey: undefined, group: undefined } as never);
    assert.equal(unclassified.job.status, 'unclassified');
    const sources = (await api.get('/api/1.0/sources?customer=bobs_burgers')).body.sources as SourceView[];
    assert.deepEqual(
      sources.map((source) => source.group),
      ['grid1', 'grid2'],
    );
  });
});
