import assert from 'node:assert/strict';
import { createApiKey } from '../../../src/db/api-keys-repository.js';
import { findCustomerBySlug } from '../../../src/db/customers-repository.js';
import { listJobEvents } from '../../../src/db/jobs-repository.js';
import { apiClient, type ApiClient } from '../../support/http-client.js';
import { startTestService, TEST_ADMIN_KEY, type TestService } from '../../support/start-test-service.js';

describe('unclassified arrivals: POST /api/1.0/jobs/:id/assign and /dismiss', function () {
  this.timeout(60_000);
  let t: TestService;
  let api: ApiClient;
  let otherKey: string;

  before(async () => {
    t = await startTestService({ customers: ['bobs_burgers', 'jimmys_pizza'], overrides: { worker: { pollIntervalMs: 100 } } });
    api = apiClient(t.service.httpUrl!, TEST_ADMIN_KEY);
    const other = await findCustomerBySlug(t.service.database.db, 'jimmys_pizza');
    otherKey = (await createApiKey(t.service.database.db, { customerId: other!.id, label: 'jimmy' })).key;
  });
  after(async () => t?.stop());

  async function unclassified(tag: string): Promise<string> {
    const { job } = await t.service.accept({ ...t.echoArrival({ rows: 2, tag }), moduleKey: undefined, group: undefined } as never);
    assert.equal(job.status, 'unclassified');
    return job.id;
  }

  it('runs an assigned arrival like any other job, and records the source', async () => {
    const id = await unclassified('assign me');
    assert.equal((await api.post(`/api/1.0/jobs/${id}/assign`, { module: 'test/echo', group: 'grid9' }, otherKey)).status, 404, 'another customer');
    const response = await api.post(`/api/1.0/jobs/${id}/assign`, { module: 'test/echo', group: 'grid9' });
    assert.equal(response.status, 200, response.text);
    assert.deepEqual(
      [response.body.job.status, response.body.job.category, response.body.job.type, response.body.job.group],
      ['queued', 'test', 'echo', 'grid9'],
    );
    const done = await t.waitForStatus(id, ['succeeded', 'failed']);
    assert.equal(done.status, 'succeeded', done.error_message ?? '');
    const events = await listJobEvents(t.service.database.db, id);
    assert.ok(events.some((event) => event.kind === 'assigned' && /test\/echo, group grid9/.test(event.message)));
    const sources = await api.get('/api/1.0/sources?group=grid9');
    assert.equal(sources.body.sources[0]?.lastJobId, id);
    assert.equal((await api.post(`/api/1.0/jobs/${id}/assign`, { module: 'test/echo', group: 'grid9' })).status, 409, 'no longer unclassified');
  });

  it('dismisses an arrival with a reason, and refuses an unknown module, a bad group or an empty reason', async () => {
    const id = await unclassified('dismiss me');
    assert.equal((await api.post(`/api/1.0/jobs/${id}/assign`, { module: 'nope/nothing', group: 'grid9' })).status, 400);
    assert.equal((await api.post(`/api/1.0/jobs/${id}/assign`, { module: 'test/echo', group: '../etc' })).status, 400);
    assert.equal((await api.post(`/api/1.0/jobs/${id}/dismiss`, { reason: '  ' })).status, 400);
    const response = await api.post(`/api/1.0/jobs/${id}/dismiss`, { reason: 'newsletter sent to the ingest address' });
    assert.equal(response.status, 200, response.text);
    assert.equal(response.body.job.status, 'cancelled');
    const detail = await api.get(`/api/1.0/jobs/${id}`);
    assert.equal(detail.body.error.code, 'DISMISSED');
    assert.match(detail.body.error.message, /newsletter/);
    assert.equal((await api.post(`/api/1.0/jobs/${id}/dismiss`, { reason: 'again' })).status, 409);
  });
});
