import assert from 'node:assert/strict';
import { hashApiKey } from '../../../src/db/api-keys-repository.js';
import { startTestService, TEST_ADMIN_KEY, type TestService } from '../../support/start-test-service.js';
import { apiClient, type ApiClient } from '../../support/http-client.js';

describe('customers and API keys (admin routes)', () => {
  let t: TestService;
  let api: ApiClient;

  before(async () => {
    t = await startTestService({ customers: [], overrides: { worker: { enabled: false }, http: { rateLimit: { pointsPerSecond: 0 } } } });
    api = apiClient(t.service.httpUrl!, TEST_ADMIN_KEY);
  });
  after(async () => {
    await t?.stop();
  });

  it('creates, reads, lists, updates and deletes a customer', async () => {
    const created = await api.post('/api/1.0/customers', {
      slug: 'bobs_burgers',
      name: "Bob's Burgers",
      ingestAddresses: ['reports@bobs.example'],
      allowedSenders: ['@bobs.example'],
      s3Prefixes: ['uploads/bobs_burgers/'],
    });
    assert.equal(created.status, 201);
    assert.equal(created.headers.get('location'), '/api/1.0/customers/bobs_burgers');
    assert.deepEqual(Object.keys(created.body).sort(), [
      'allowedSenders',
      'createdAt',
      'disabled',
      'disabledAt',
      'ingestAddresses',
      'name',
      'requireSenderAuth',
      's3Prefixes',
      'slug',
      'updatedAt',
    ]);
    assert.deepEqual(created.body.ingestAddresses, ['reports@bobs.example']);

    const minimal = await api.post('/api/1.0/customers', { slug: 'krusty_krab' });
    assert.equal(minimal.body.name, 'krusty_krab', 'the name defaults to the slug');
    assert.deepEqual(minimal.body.allowedSenders, []);

    assert.deepEqual(
      (await api.get('/api/1.0/customers')).body.customers.map((c: { slug: string }) => c.slug),
      ['bobs_burgers', 'krusty_krab'],
    );
    assert.equal((await api.get('/api/1.0/customers/bobs_burgers')).body.name, "Bob's Burgers");

    const updated = await api.patch('/api/1.0/customers/bobs_burgers', { allowedSenders: ['@bobs.example', 'grid@partner.example'], name: 'Bob’s' });
    assert.equal(updated.status, 200);
    assert.deepEqual(updated.body.allowedSenders, ['@bobs.example', 'grid@partner.example']);
    assert.deepEqual(updated.body.ingestAddresses, ['reports@bobs.example'], 'fields not given are kept');
    assert.equal(updated.body.name, 'Bob’s');
    assert.ok(Date.parse(updated.body.updatedAt) >= Date.parse(created.body.updatedAt));

    const slugChange = await api.patch('/api/1.0/customers/bobs_burgers', { slug: 'renamed' });
    assert.equal(slugChange.status, 400);
    assert.match(slugChange.body.error.message, /^slug: is not a field/);

    assert.equal((await api.delete('/api/1.0/customers/krusty_krab')).status, 204);
    assert.equal((await api.get('/api/1.0/customers/krusty_krab')).body.disabled, true, 'DELETE without purge disables and keeps the customer');
  });

  it('sets, shows and removes a customer’s sender authentication requirement', async () => {
    const created = await api.post('/api/1.0/customers', { slug: 'strict_co', requireSenderAuth: 'dmarc' });
    assert.equal(created.status, 201);
    assert.equal(created.body.requireSenderAuth, 'dmarc');
    assert.equal((await api.get('/api/1.0/customers/strict_co')).body.requireSenderAuth, 'dmarc');
    assert.equal((await api.patch('/api/1.0/customers/strict_co', { name: 'Strict' })).body.requireSenderAuth, 'dmarc', 'kept when not given');
    assert.equal((await api.patch('/api/1.0/customers/strict_co', { requireSenderAuth: 'any' })).body.requireSenderAuth, 'any');
    assert.equal((await api.patch('/api/1.0/customers/strict_co', { requireSenderAuth: null })).body.requireSenderAuth, null);
    const wrong = await api.patch('/api/1.0/customers/strict_co', { requireSenderAuth: 'arc' });
    assert.equal(wrong.status, 400);
    assert.match(wrong.body.error.message, /^requireSenderAuth: /);
    assert.equal((await api.post('/api/1.0/customers', { slug: 'plain_co' })).body.requireSenderAuth, null, 'none by default');
  });

  it('answers 409 for a taken slug and 404 for unknown customers', async () => {
    const taken = await api.post('/api/1.0/customers', { slug: 'bobs_burgers' });
    assert.equal(taken.status, 409);
    assert.deepEqual(taken.body, { error: { code: 'CONFLICT', message: 'a customer "bobs_burgers" exists already' } });
    assert.equal((await api.patch('/api/1.0/customers/nobody', { name: 'x' })).status, 404);
    assert.equal((await api.delete('/api/1.0/customers/nobody')).status, 404);
    assert.equal((await api.get('/api/1.0/customers/NOT%20A%20SLUG')).status, 404);
  });

  it('creates a customer key shown once, stores only its hash, and scopes it', async () => {
    const created = await api.post('/api/1.0/api-keys', { customer: 'bobs_burgers', label: 'HView frontend' });
    assert.equal(created.status, 201);
    assert.match(created.body.key, /^dp_[A-Za-z0-9_-]{43}$/);
    assert.equal(created.body.role, 'customer');
    assert.equal(created.body.customer, 'bobs_burgers');
    const row = await t.service.database.db.selectFrom('api_keys').selectAll().where('id', '=', created.body.id).executeTakeFirstOrThrow();
    assert.deepEqual(row.key_hash, hashApiKey(created.body.key));

    const shown = await api.get(`/api/1.0/api-keys/${created.body.id}`);
    assert.deepEqual(Object.keys(shown.body).sort(), ['createdAt', 'customer', 'id', 'label', 'revokedAt', 'role']);
    assert.equal(JSON.stringify(await api.get('/api/1.0/api-keys')).includes(created.body.key), false, 'never listed again');

    const listed = await api.get('/api/1.0/api-keys?customer=bobs_burgers');
    assert.deepEqual(
      listed.body.apiKeys.map((key: { id: string }) => key.id),
      [created.body.id],
    );
    assert.equal((await api.get('/api/1.0/jobs', created.body.key)).status, 200);
    assert.equal((await api.get('/api/1.0/customers', created.body.key)).status, 403);
  });

  it('creates admin keys, revokes keys at once, and keeps the last admin key', async () => {
    const admin = await api.post('/api/1.0/api-keys', { label: 'second admin' });
    assert.equal(admin.body.role, 'admin');
    assert.equal(admin.body.customer, null);
    assert.equal((await api.get('/api/1.0/customers', admin.body.key)).status, 200);

    assert.equal((await api.delete(`/api/1.0/api-keys/${admin.body.id}`)).status, 204);
    assert.equal((await api.get('/api/1.0/customers', admin.body.key)).status, 401);
    const again = await api.delete(`/api/1.0/api-keys/${admin.body.id}`);
    assert.equal(again.status, 409);
    const revoked = await api.get('/api/1.0/api-keys?include_revoked=true');
    assert.ok(revoked.body.apiKeys.some((key: { id: string; revokedAt: string | null }) => key.id === admin.body.id && key.revokedAt !== null));
    assert.equal(
      (await api.get('/api/1.0/api-keys')).body.apiKeys.some((key: { id: string }) => key.id === admin.body.id),
      false,
    );

    const bootstrap = (await api.get('/api/1.0/api-keys')).body.apiKeys.find((key: { role: string }) => key.role === 'admin');
    const last = await api.delete(`/api/1.0/api-keys/${bootstrap.id}`);
    assert.equal(last.status, 409);
    assert.match(last.body.error.message, /last active admin key/);
  });

  it('validates key requests and deletes a customer’s keys with it', async () => {
    const unknown = await api.post('/api/1.0/api-keys', { customer: 'nobody' });
    assert.equal(unknown.status, 400);
    assert.equal(unknown.body.error.message, 'customer: no customer "nobody"');
    assert.equal((await api.get('/api/1.0/api-keys/999999')).status, 404);
    assert.equal((await api.get('/api/1.0/api-keys/abc')).status, 404);
    assert.equal((await api.delete('/api/1.0/api-keys/abc')).status, 404);
    assert.match((await api.get('/api/1.0/api-keys?include_revoked=maybe')).body.error.message, /^include_revoked: /);

    await api.post('/api/1.0/customers', { slug: 'temp' });
    const key = await api.post('/api/1.0/api-keys', { customer: 'temp' });
    assert.equal((await api.get('/api/1.0/jobs', key.body.key)).status, 200);
    assert.equal((await api.delete('/api/1.0/customers/temp')).status, 204);
    const refused = await api.get('/api/1.0/jobs', key.body.key);
    assert.equal(refused.status, 403, 'a disabled customer’s keys are refused');
    assert.equal(refused.body.error.code, 'CUSTOMER_DISABLED');
  });
});
