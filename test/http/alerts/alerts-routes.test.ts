import assert from 'node:assert/strict';
import { createApiKey } from '../../../src/db/api-keys-repository.js';
import { findCustomerBySlug } from '../../../src/db/customers-repository.js';
import { alertSubscriptionSchema, alertSubscriptionWithSecretSchema } from '../../../src/http/alerts/alerts-schemas.js';
import { apiClient, type ApiClient } from '../../support/http-client.js';
import { startTestService, TEST_ADMIN_KEY, type TestService } from '../../support/start-test-service.js';

const BASE = '/api/1.0/alerts/subscriptions';

describe('alert subscriptions, deliveries and conditions (admin routes)', () => {
  let t: TestService;
  let api: ApiClient;
  let customerKey: string;

  before(async () => {
    // Alerting off: these tests look at the API alone, nothing is sent.
    t = await startTestService({ overrides: { worker: { enabled: false }, alerts: { enabled: false }, http: { rateLimit: { pointsPerSecond: 0 } } } });
    api = apiClient(t.service.httpUrl!, TEST_ADMIN_KEY);
    const customer = await findCustomerBySlug(t.service.database.db, 'bobs_burgers');
    customerKey = (await createApiKey(t.service.database.db, { customerId: customer!.id, label: 'bob' })).key;
  });
  after(async () => {
    await t?.stop();
  });

  it('creates a webhook subscription with a generated secret shown once, then never again', async () => {
    const created = await api.post(BASE, {
      url: 'https://hooks.example.com/dp',
      customer: 'bobs_burgers',
      kinds: ['job_failed', 'silent_source'],
      description: 'on call',
    });
    assert.equal(created.status, 201, created.text);
    alertSubscriptionWithSecretSchema.parse(created.body);
    assert.equal(created.headers.get('location'), `${BASE}/${created.body.id}`);
    assert.match(created.body.secret, /^whsec_[A-Za-z0-9_-]{43}$/);
    assert.equal(created.body.secretHint, `…${created.body.secret.slice(-4)}`);
    assert.deepEqual(created.body.kinds, ['job_failed', 'silent_source']);

    const read = await api.get(`${BASE}/${created.body.id}`);
    assert.equal(read.status, 200);
    assert.deepEqual(alertSubscriptionSchema.strict().parse(read.body), read.body);
    assert.ok(!read.text.includes(created.body.secret), 'the secret is not shown again');
    const listed = await api.get(BASE);
    assert.ok(!listed.text.includes(created.body.secret));
    assert.ok(listed.body.subscriptions.some((s: any) => s.id === created.body.id));
  });

  it('takes a given secret, rotates it on request, and changes only the fields given', async () => {
    const created = await api.post(BASE, { url: 'http://127.0.0.1:9/hook', secret: 'a-secret-of-my-own-choosing' });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.body.secret, 'a-secret-of-my-own-choosing');
    assert.equal(created.body.customer, null, 'global');
    const rotated = await api.patch(`${BASE}/${created.body.id}`, { rotateSecret: true });
    assert.equal(rotated.status, 200, rotated.text);
    assert.match(rotated.body.secret, /^whsec_/);
    assert.equal(rotated.body.url, 'http://127.0.0.1:9/hook');
    const described = await api.patch(`${BASE}/${created.body.id}`, { description: 'renamed', kinds: ['disk_low'] });
    assert.equal(described.body.secret, null, 'not replaced, not shown');
    assert.equal(described.body.description, 'renamed');
    assert.deepEqual(described.body.kinds, ['disk_low']);
    assert.equal(described.body.secretHint, `…${rotated.body.secret.slice(-4)}`);
  });

  it('refuses what cannot work, naming the field', async () => {
    const cases: Array<[unknown, RegExp]> = [
      [{}, /^url: is required for a webhook/],
      [{ url: 'ftp://hooks.example.com/x' }, /^url: /],
      [{ url: 'https://hooks.example.com/x', secret: 'short' }, /^secret: /],
      [{ url: 'https://hooks.example.com/x', kinds: ['everything'] }, /^kinds\.0: /],
      [{ url: 'https://hooks.example.com/x', customer: 'nobody_here' }, /^customer: no customer "nobody_here"/],
      [{ channel: 'email' }, /^email: is required/],
      [{ channel: 'email', email: 'ops@example.com', url: 'https://hooks.example.com/x' }, /^url: is for webhook subscriptions/],
      [{ url: 'https://hooks.example.com/x', unknown: 1 }, /^unknown: is not a field/],
    ];
    for (const [body, message] of cases) {
      const response = await api.post(BASE, body);
      assert.equal(response.status, 400, JSON.stringify(body));
      assert.match(response.body.error.message, message, JSON.stringify(body));
    }
    assert.equal((await api.get(`${BASE}/not-a-uuid`)).status, 404);
    assert.equal((await api.get(`${BASE}/00000000-0000-4000-8000-000000000000`)).status, 404);
    assert.equal((await api.get('/api/1.0/alerts/deliveries?limit=0')).status, 400);
    assert.equal((await api.get('/api/1.0/alerts/conditions?kind=bogus')).status, 400);
  });

  it('is for admins only', async () => {
    for (const path of [BASE, '/api/1.0/alerts/deliveries', '/api/1.0/alerts/conditions']) {
      const response = await api.get(path, customerKey);
      assert.equal(response.status, 403, path);
    }
    assert.equal((await api.post(BASE, { url: 'https://hooks.example.com/x' }, customerKey)).status, 403);
  });

  it('lists deliveries and conditions (empty here), and deletes a subscription', async () => {
    const deliveries = await api.get('/api/1.0/alerts/deliveries?status=pending');
    assert.equal(deliveries.status, 200);
    assert.deepEqual(deliveries.body, { deliveries: [], next: null });
    const conditions = await api.get('/api/1.0/alerts/conditions?open=true');
    assert.deepEqual(conditions.body, { conditions: [], next: null });
    const created = await api.post(BASE, { channel: 'email', email: 'ops@example.com' });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.body.secret, null);
    assert.equal((await api.patch(`${BASE}/${created.body.id}`, { rotateSecret: true })).status, 400, 'mail has no secret');
    assert.equal((await api.delete(`${BASE}/${created.body.id}`)).status, 204);
    assert.equal((await api.delete(`${BASE}/${created.body.id}`)).status, 404);
  });
});
