import { GetObjectCommand } from '@aws-sdk/client-s3';
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { echoModule } from '../../support/echo-module.js';
import { startTestService, TEST_ADMIN_KEY, type TestService } from '../../support/start-test-service.js';
import { BUCKET, FIXTURE_ARCHIVE, REGION, envelope, startS3Emulator, veritasStubModule, type S3Emulator } from '../../support/s3-test-env.js';
import { apiClient, type ApiClient } from '../../support/http-client.js';

const TOKEN = 'webhook-token-0123456789abcdef';
const MAX_OBJECT_BYTES = 1024 * 1024;
const EXPIRES_SECONDS = 600;

/**
 * What S3 itself checks (fauxqs does not): the SigV4 query-string signature, recomputed from the
 * URL alone with the secret, for a PUT carrying `headers`. Returns the URL's query parameters.
 */
function verifyPresignedPut(url: string, headers: Readonly<Record<string, string>>, secretAccessKey: string): URLSearchParams {
  const parsed = new URL(url);
  const query = parsed.searchParams;
  const rawPath = url.slice(url.indexOf('/', url.indexOf('//') + 2), url.includes('?') ? url.indexOf('?') : undefined);
  const encode = (value: string): string => encodeURIComponent(value).replace(/[!'()*]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`);
  const canonicalQuery = [...query.entries()]
    .filter(([name]) => name !== 'X-Amz-Signature')
    .map(([name, value]) => [encode(name), encode(value)] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
  const signedHeaders = (query.get('X-Amz-SignedHeaders') ?? '').split(';');
  const headerValues: Record<string, string> = {
    host: parsed.host,
    ...Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value])),
  };
  const canonicalHeaders = signedHeaders.map((name) => `${name}:${headerValues[name] ?? ''}\n`).join('');
  const canonicalRequest = ['PUT', rawPath, canonicalQuery, canonicalHeaders, signedHeaders.join(';'), 'UNSIGNED-PAYLOAD'].join('\n');
  const amzDate = query.get('X-Amz-Date') ?? '';
  const [, day = '', region = '', service = ''] = (query.get('X-Amz-Credential') ?? '').split('/');
  const scope = `${day}/${region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, createHash('sha256').update(canonicalRequest).digest('hex')].join('\n');
  const hmac = (key: string | Buffer, data: string): Buffer => createHmac('sha256', key).update(data).digest();
  const signingKey = hmac(hmac(hmac(hmac(`AWS4${secretAccessKey}`, day), region), service), 'aws4_request');
  assert.equal(query.get('X-Amz-Signature'), createHmac('sha256', signingKey).update(stringToSign).digest('hex'), 'the signature S3 would compute');
  return query;
}

describe('POST /api/1.0/uploads/presign (presigned S3 PUT URL)', () => {
  let env: S3Emulator;
  let t: TestService;
  let admin: ApiClient;
  let bobs: ApiClient;
  let archive: Buffer;

  before(async () => {
    env = await startS3Emulator();
    archive = await readFile(FIXTURE_ARCHIVE);
    t = await startTestService({
      customers: ['bobs_burgers', 'krusty_krab'],
      modules: [veritasStubModule, echoModule],
      overrides: {
        worker: { enabled: false },
        s3: env.settings({ webhook: { token: TOKEN }, maxObjectBytes: MAX_OBJECT_BYTES }),
        uploads: { presign: { enabled: true, expiresSeconds: EXPIRES_SECONDS } },
      },
    });
    admin = apiClient(t.service.httpUrl!, TEST_ADMIN_KEY);
    bobs = apiClient(t.service.httpUrl!, (await admin.post('/api/1.0/api-keys', { customer: 'bobs_burgers', label: 'presign' })).body.key);
  });
  after(async () => {
    await t?.stop();
    await env?.stop();
  });

  const request = (extra: Record<string, unknown> = {}) => ({
    category: 'hydrastor',
    type: 'veritas2hview',
    group: 'icecream_machine',
    fileName: 'Veritas2Hview nbumaster01 2023-01-13.tar.gz',
    size: archive.length,
    ...extra,
  });

  it('presigns <bucket>/<customer>/<group>/<file>; a plain PUT stores the file, and the posted event starts the job', async () => {
    const presigned = await bobs.post('/api/1.0/uploads/presign', request());
    assert.equal(presigned.status, 200, presigned.text);
    const { url, method, headers, bucket, key, expiresAt } = presigned.body;
    assert.deepEqual([method, bucket, key], ['PUT', BUCKET, 'bobs_burgers/icecream_machine/Veritas2Hview nbumaster01 2023-01-13.tar.gz']);
    assert.deepEqual(headers, { 'Content-Length': String(archive.length) });
    assert.ok(url.startsWith(`${env.server.address}/${BUCKET}/bobs_burgers/icecream_machine/Veritas2Hview%20nbumaster01%202023-01-13.tar.gz?`), url);
    const query = verifyPresignedPut(url, headers, process.env.AWS_SECRET_ACCESS_KEY ?? '');
    assert.equal(query.get('X-Amz-Expires'), String(EXPIRES_SECONDS));
    assert.equal(query.get('X-Amz-SignedHeaders'), 'content-length;host');
    assert.match(query.get('X-Amz-Credential') ?? '', new RegExp(`/${REGION}/s3/aws4_request$`));
    assert.ok(![...query.keys()].some((name) => /checksum/i.test(name)), 'no checksum of an empty body binds the URL');
    const lifetime = new Date(expiresAt).getTime() - Date.now();
    assert.ok(lifetime > 0 && lifetime <= EXPIRES_SECONDS * 1000, `expires in ${lifetime} ms`);

    const put = await fetch(url, { method: 'PUT', body: archive });
    assert.equal(put.status, 200, await put.text());
    const stored = await env.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    assert.ok(Buffer.from(await stored.Body!.transformToByteArray()).equals(archive), 'the object is the file');

    const eTag = (put.headers.get('etag') ?? '').replaceAll('"', '');
    const event = await fetch(`${t.service.httpUrl}/api/1.0/s3/events`, {
      method: 'POST',
      body: await envelope('aws_object_created', { key, eTag, size: archive.length }),
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${TOKEN}` },
    });
    const outcome = (await event.json()) as { records: Array<{ outcome: string; jobId: string }> };
    assert.equal(event.status, 200, JSON.stringify(outcome));
    assert.equal(outcome.records[0]?.outcome, 'created');
    const job = await t.waitForStatus(outcome.records[0]!.jobId, ['queued']);
    assert.deepEqual(
      [job.customer, job.category, job.type, job.group_name, job.source],
      ['bobs_burgers', 'hydrastor', 'veritas2hview', 'icecream_machine', 'webhook'],
    );
    const detail = await bobs.get(`/api/1.0/jobs/${job.id}`);
    assert.equal(detail.body.files[0].sha256, createHash('sha256').update(archive).digest('hex'));
  });

  it('lets a customer key presign only its own prefix; an admin key names the customer', async () => {
    const other = await bobs.post('/api/1.0/uploads/presign', request({ customer: 'krusty_krab' }));
    assert.equal(other.status, 403);
    assert.equal(other.body.error.message, 'this API key may upload for customer "bobs_burgers" only');
    const noCustomer = await admin.post('/api/1.0/uploads/presign', request());
    assert.equal(noCustomer.status, 400);
    assert.match(noCustomer.body.error.message, /^customer: is required with an admin key/);
    const forKrusty = await admin.post('/api/1.0/uploads/presign', request({ customer: 'krusty_krab' }));
    assert.equal(forKrusty.status, 200);
    assert.equal(forKrusty.body.key, 'krusty_krab/icecream_machine/Veritas2Hview nbumaster01 2023-01-13.tar.gz');
  });

  it('refuses sizes over s3.maxObjectBytes, unknown customers, modules without a bucket and keys that would not route back', async () => {
    const tooBig = await bobs.post('/api/1.0/uploads/presign', request({ size: MAX_OBJECT_BYTES + 1 }));
    assert.deepEqual([tooBig.status, tooBig.body.error.code], [413, 'PAYLOAD_TOO_LARGE']);
    const unknownCustomer = await admin.post('/api/1.0/uploads/presign', request({ customer: 'nobody_here' }));
    assert.deepEqual([unknownCustomer.status, unknownCustomer.body.error.code], [400, 'CUSTOMER_UNKNOWN']);
    const noBucket = await bobs.post('/api/1.0/uploads/presign', request({ category: 'test', type: 'echo' }));
    assert.equal(noBucket.status, 400);
    assert.match(noBucket.body.error.message, /no bucket is configured for test\/echo \(s3\.routes\)/);
    for (const [field, value] of [
      ['group', 'a/b'],
      ['fileName', 'x\u0000y'],
      ['fileName', ''],
      ['size', 0],
      ['bucket', 'elsewhere'],
    ] as const) {
      const response = await bobs.post('/api/1.0/uploads/presign', request({ [field]: value }));
      assert.equal(response.status, 400, `${field}=${JSON.stringify(value)}`);
      assert.ok(response.body.error.message.startsWith(`${field}: `), response.body.error.message);
    }
  });
});
