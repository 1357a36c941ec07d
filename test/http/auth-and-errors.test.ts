import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:http';
import path from 'node:path';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { digestsEqual, hashApiKey } from '../../src/db/api-keys-repository.js';
import type { Database } from '../../src/db/database-schema.js';
import { createApp } from '../../src/http/create-app.js';
import { Logging } from '../../src/logging/logging.js';
import { startTestService, TEST_ADMIN_KEY, type TestService } from '../support/start-test-service.js';
import { apiClient, type ApiClient } from '../support/http-client.js';

const UNAUTHORIZED = { error: { code: 'UNAUTHORIZED', message: 'a valid X-Api-Key header is required' } };

describe('API auth, scoping of admin routes and error answers', () => {
  let t: TestService;
  let api: ApiClient;
  let customerKey: string;
  const createdKeys: string[] = [];

  before(async () => {
    t = await startTestService({
      customers: ['bobs_burgers'],
      overrides: { logLevel: 'debug', worker: { enabled: false }, http: { rateLimit: { pointsPerSecond: 0 } } },
    });
    api = apiClient(t.service.httpUrl!, TEST_ADMIN_KEY);
    const created = await api.post('/api/1.0/api-keys', { customer: 'bobs_burgers', label: 'bobs frontend' });
    assert.equal(created.status, 201);
    customerKey = created.body.key;
    createdKeys.push(customerKey);
  });
  after(async () => {
    await t?.stop();
  });

  it('answers every bad key with the same 401 body, whatever its length or content', async () => {
    const wrongSuffix = `${TEST_ADMIN_KEY.slice(0, -1)}${TEST_ADMIN_KEY.endsWith('x') ? 'y' : 'x'}`;
    const candidates: Array<string | null> = [
      null,
      '',
      'a',
      'x'.repeat(31),
      'x'.repeat(33),
      'x'.repeat(64),
      'x'.repeat(10_000),
      'é',
      wrongSuffix,
      `${TEST_ADMIN_KEY}x`,
      TEST_ADMIN_KEY.slice(1),
    ];
    for (const key of candidates) {
      const response = await api.get('/api/1.0/jobs', key);
      assert.equal(response.status, 401, `key of length ${key?.length ?? 'none'}`);
      assert.deepEqual(response.body, UNAUTHORIZED);
    }
  });

  it('compares fixed-length SHA-256 digests in constant time, never raw keys', () => {
    assert.equal(hashApiKey('any key at all').length, 32);
    assert.equal(hashApiKey('x'.repeat(10_000)).length, 32);
    const stored = hashApiKey(TEST_ADMIN_KEY);
    assert.equal(digestsEqual(stored, hashApiKey(TEST_ADMIN_KEY)), true);
    assert.equal(digestsEqual(stored, hashApiKey(`${TEST_ADMIN_KEY}x`)), false);
    // A digest of another length is unequal, not a RangeError from timingSafeEqual.
    assert.equal(digestsEqual(stored, createHash('sha512').update(TEST_ADMIN_KEY).digest()), false);
    assert.equal(digestsEqual(Buffer.alloc(0), Buffer.alloc(0)), false);
  });

  it('forbids every admin route to a customer key with 403', async () => {
    const attempts: Array<[string, () => Promise<{ status: number; body: any }>]> = [
      ['GET /customers', () => api.get('/api/1.0/customers', customerKey)],
      ['POST /customers', () => api.post('/api/1.0/customers', { slug: 'sneaky' }, customerKey)],
      ['GET /customers/:slug', () => api.get('/api/1.0/customers/bobs_burgers', customerKey)],
      ['PATCH /customers/:slug', () => api.patch('/api/1.0/customers/bobs_burgers', { name: 'x' }, customerKey)],
      ['DELETE /customers/:slug', () => api.delete('/api/1.0/customers/bobs_burgers', customerKey)],
      ['GET /api-keys', () => api.get('/api/1.0/api-keys', customerKey)],
      ['POST /api-keys', () => api.post('/api/1.0/api-keys', { label: 'escalate' }, customerKey)],
      ['GET /api-keys/:id', () => api.get('/api/1.0/api-keys/1', customerKey)],
      ['DELETE /api-keys/:id', () => api.delete('/api/1.0/api-keys/1', customerKey)],
      ['POST /jobs/replay', () => api.post('/api/1.0/jobs/replay', { filter: { customer: 'bobs_burgers' }, dry_run: true }, customerKey)],
      ['DELETE /customers/:slug?purge=true', () => api.delete('/api/1.0/customers/bobs_burgers?purge=true&dryRun=true', customerKey)],
      ['GET /holds', () => api.get('/api/1.0/holds', customerKey)],
      ['POST /holds', () => api.post('/api/1.0/holds', { customer: 'bobs_burgers' }, customerKey)],
      ['GET /holds/:id', () => api.get('/api/1.0/holds/1', customerKey)],
      ['DELETE /holds/:id', () => api.delete('/api/1.0/holds/1', customerKey)],
    ];
    for (const [name, attempt] of attempts) {
      const response = await attempt();
      assert.equal(response.status, 403, name);
      assert.deepEqual(response.body, { error: { code: 'FORBIDDEN', message: 'this route needs an admin key' } }, name);
    }
    const customers = await api.get('/api/1.0/customers');
    assert.deepEqual(
      customers.body.customers.map((customer: { slug: string }) => customer.slug),
      ['bobs_burgers'],
      'nothing was created or deleted',
    );
  });

  it('revokes a key through the API with effect on the very next request', async () => {
    const created = await api.post('/api/1.0/api-keys', { label: 'short-lived' });
    createdKeys.push(created.body.key);
    assert.equal((await api.get('/api/1.0/jobs', created.body.key)).status, 200);
    assert.equal((await api.delete(`/api/1.0/api-keys/${created.body.id}`)).status, 204);
    assert.deepEqual((await api.get('/api/1.0/jobs', created.body.key)).body, UNAUTHORIZED);
  });

  it('answers 413 for a body over the limit, 415 for a non-JSON body and 400 for malformed JSON', async () => {
    const huge = await api.raw('/api/1.0/customers', {
      method: 'POST',
      headers: { 'X-Api-Key': TEST_ADMIN_KEY, 'Content-Type': 'application/json' },
      body: JSON.stringify({ slug: 'big', name: 'x'.repeat(t.config.http.bodyLimitBytes + 10) }),
    });
    assert.equal(huge.status, 413);
    assert.deepEqual(huge.body, { error: { code: 'PAYLOAD_TOO_LARGE', message: `body: larger than the limit of ${t.config.http.bodyLimitBytes} bytes` } });

    const form = await api.raw('/api/1.0/customers', {
      method: 'POST',
      headers: { 'X-Api-Key': TEST_ADMIN_KEY, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'slug=formy',
    });
    assert.equal(form.status, 415);
    assert.equal(form.body.error.code, 'UNSUPPORTED_MEDIA_TYPE');

    const broken = await api.raw('/api/1.0/customers', {
      method: 'POST',
      headers: { 'X-Api-Key': TEST_ADMIN_KEY, 'Content-Type': 'application/json' },
      body: '{"slug": "secret-value-',
    });
    assert.equal(broken.status, 400);
    assert.deepEqual(broken.body, { error: { code: 'BAD_REQUEST', message: 'body: is not valid JSON' } });
    assert.equal((await api.get('/api/1.0/customers/big')).status, 404);
  });

  it('rejects unknown fields (mass assignment) and names the field of every bad value', async () => {
    const extra = await api.post('/api/1.0/customers', { slug: 'mallory', isAdmin: true });
    assert.equal(extra.status, 400);
    assert.match(extra.body.error.message, /^isAdmin: /);
    const role = await api.post('/api/1.0/api-keys', { role: 'admin', customer: 'bobs_burgers' });
    assert.equal(role.status, 400);
    assert.match(role.body.error.message, /^role: /);
    const slug = await api.post('/api/1.0/customers', { slug: 'Bad Slug!' });
    assert.match(slug.body.error.message, /^slug: /);
    const address = await api.post('/api/1.0/customers', { slug: 'ok', ingestAddresses: ['not-an-address'] });
    assert.match(address.body.error.message, /^ingestAddresses\.0: must be an e-mail address/);
    assert.equal((await api.get('/api/1.0/customers/mallory')).status, 404);
  });

  it('answers an unsupported method with a JSON 405 and ignores method-override headers', async () => {
    const response = await api.raw('/api/1.0/jobs', { method: 'DELETE', headers: { 'X-Api-Key': TEST_ADMIN_KEY } });
    assert.equal(response.status, 405);
    assert.equal(response.body.error.code, 'METHOD_NOT_ALLOWED');
    assert.match(response.headers.get('allow') ?? '', /GET/);

    const victim = await api.post('/api/1.0/api-keys', { label: 'victim' });
    createdKeys.push(victim.body.key);
    const override = await api.post(`/api/1.0/api-keys/${victim.body.id}`, undefined, customerKey, { 'X-HTTP-Method-Override': 'DELETE' });
    assert.equal(override.status, 405);
    assert.equal((await api.get('/api/1.0/jobs', victim.body.key)).status, 200, 'the key was not revoked');
  });

  it('sends security headers and no stack traces', async () => {
    const response = await api.get('/api/1.0/jobs/not-a-uuid');
    assert.equal(response.status, 404);
    assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(response.headers.get('cache-control'), 'no-store');
    assert.equal(response.headers.get('access-control-allow-origin'), null, 'no CORS unless configured');
  });

  it('answers 503 with a JSON error and no internals when the database is down', async () => {
    const deadPool = new pg.Pool({ connectionString: 'postgres://postgres@127.0.0.1:1/none', connectionTimeoutMillis: 1000 });
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: deadPool }) });
    const logging = new Logging({ logDir: path.join(t.dataRoot, 'log-dead'), level: 'error', console: false });
    const app = createApp({ db, config: t.config, logger: logging.for('http'), accept: () => Promise.reject(new Error('unused')) });
    const server: Server = createServer(app.callback());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const dead = apiClient(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, TEST_ADMIN_KEY);
      const response = await dead.get('/api/1.0/jobs');
      assert.equal(response.status, 503);
      assert.deepEqual(response.body, { error: { code: 'UNAVAILABLE', message: 'the service is temporarily unavailable; try again' } });
      assert.doesNotMatch(response.text, /ECONNREFUSED|127\.0\.0\.1|\.ts:|at /);
    } finally {
      await new Promise((resolve) => server.close(resolve));
      await db.destroy();
      await logging.close();
    }
  });

  it('never writes a key to the logs', async () => {
    await api.get('/api/1.0/jobs?limit=1', customerKey);
    await t.service.stop();
    const logDir = path.join(t.dataRoot, 'log');
    const files = await readdir(logDir);
    assert.ok(
      files.some((file) => file.includes('http')),
      'the HTTP log exists',
    );
    const logs = (await Promise.all(files.map((file) => readFile(path.join(logDir, file), 'utf8')))).join('\n');
    assert.match(logs, /"path":"\/api\/1\.0\/jobs"/, 'requests were logged at debug level');
    for (const key of [TEST_ADMIN_KEY, ...createdKeys]) assert.equal(logs.includes(key), false);
    assert.equal(logs.includes(hashApiKey(TEST_ADMIN_KEY).toString('hex')), false);
  });
});

describe('API rate limiting per key', () => {
  let t: TestService;
  let api: ApiClient;
  const pointsPerSecond = 5;

  before(async () => {
    t = await startTestService({ customers: ['bobs_burgers'], overrides: { worker: { enabled: false }, http: { rateLimit: { pointsPerSecond } } } });
    api = apiClient(t.service.httpUrl!, TEST_ADMIN_KEY);
  });
  after(async () => {
    await t?.stop();
  });

  it('answers 429 with Retry-After past the budget, per key, and recovers', async () => {
    const burst = await Promise.all(Array.from({ length: pointsPerSecond * 3 }, () => api.get('/api/1.0/jobs?limit=1')));
    const limited = burst.filter((response) => response.status === 429);
    assert.ok(limited.length >= pointsPerSecond, `${limited.length} of ${burst.length} limited`);
    assert.ok(burst.filter((response) => response.status === 200).length <= pointsPerSecond);
    const first = limited[0]!;
    assert.equal(first.body.error.code, 'RATE_LIMITED');
    const retryAfter = Number(first.headers.get('retry-after'));
    assert.equal(retryAfter, 1, 'a one-second window never asks for more than a second');

    await new Promise((resolve) => setTimeout(resolve, retryAfter * 1000 + 50));
    assert.equal((await api.get('/api/1.0/jobs?limit=1')).status, 200);
  });

  it('keeps a separate budget for each key', async () => {
    const other = await api.post('/api/1.0/api-keys', { label: 'second' });
    assert.equal(other.status, 201);
    await Promise.all(Array.from({ length: pointsPerSecond * 2 }, () => api.get('/api/1.0/jobs?limit=1')));
    assert.equal((await api.get('/api/1.0/jobs?limit=1', other.body.key)).status, 200);
  });
});
