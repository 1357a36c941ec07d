import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp } from '../../../src/http/create-app.js';
import { startTestService, type TestService } from '../../support/start-test-service.js';
import { FIXTURE_ARCHIVE, envelope, objectJobDepsFor, startS3Emulator, veritasStubModule, type S3Emulator } from '../../support/s3-test-env.js';

const TOKEN = 'webhook-token-0123456789abcdef';

describe('POST /api/1.0/s3/events (webhook)', () => {
  let env: S3Emulator;
  let t: TestService;
  let url: string;
  let archive: Buffer;

  before(async () => {
    env = await startS3Emulator();
    archive = await readFile(FIXTURE_ARCHIVE);
    t = await startTestService({
      modules: [veritasStubModule],
      overrides: { worker: { enabled: false }, http: { bodyLimitBytes: 65536 }, s3: env.settings({ webhook: { token: TOKEN } }) },
    });
    url = `${t.service.httpUrl}/api/1.0/s3/events`;
  });
  after(async () => {
    await t?.stop();
    await env?.stop();
  });

  async function post(body: string, headers: Record<string, string>): Promise<{ status: number; body: any; headers: Headers }> {
    const response = await fetch(url, { method: 'POST', body, headers: { 'Content-Type': 'application/json', ...headers } });
    return { status: response.status, body: await response.json(), headers: response.headers };
  }
  const bearer = { Authorization: `Bearer ${TOKEN}` };

  it('starts the job for a MinIO push with the right bearer token, and answers a repeat with the same job', async () => {
    const key = 'bobs_burgers/icecream_machine/pushed by minio.tar.gz';
    const object = await env.upload(key, archive);
    const body = await envelope('minio_webhook_put', { key, ...object, sequencer: '17A8C9F0E1D2B3A4' });
    const first = await post(body, bearer);
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.equal(first.body.kind, 'records');
    assert.equal(first.body.records[0].outcome, 'created');
    assert.equal(first.body.records[0].key, key);
    const again = await post(body, bearer);
    assert.deepEqual([again.body.records[0].outcome, again.body.records[0].jobId], ['duplicate', first.body.records[0].jobId]);
    const job = await t.waitForStatus(first.body.records[0].jobId, ['queued']);
    assert.equal(job.source, 'webhook');
  });

  it('accepts an SNS HTTP delivery (text/plain, Basic credentials from the subscription URL)', async () => {
    const key = 'bobs_burgers/icecream_machine/via sns.tar.gz';
    const object = await env.upload(key, archive);
    const basic = `Basic ${Buffer.from(`sns:${TOKEN}`).toString('base64')}`;
    const response = await post(await envelope('aws_sns_wrapped', { key, ...object }), { Authorization: basic, 'Content-Type': 'text/plain; charset=UTF-8' });
    assert.equal(response.status, 200, JSON.stringify(response.body));
    assert.equal(response.body.records[0].outcome, 'created');
  });

  it('answers 401 for a missing, wrong or near-miss token, before reading the body, and makes no job', async () => {
    const key = 'bobs_burgers/icecream_machine/unauthorized.tar.gz';
    const object = await env.upload(key, archive);
    const body = await envelope('aws_object_created', { key, ...object });
    for (const headers of [{}, { Authorization: 'Bearer wrong' }, { Authorization: `Bearer ${TOKEN}x` }, { Authorization: TOKEN }, { 'X-Api-Key': TOKEN }]) {
      const response = await post(body, headers);
      assert.equal(response.status, 401, JSON.stringify(headers));
      assert.equal(response.body.error.code, 'UNAUTHORIZED');
      assert.match(response.headers.get('www-authenticate') ?? '', /^Bearer/);
    }
    const jobs = await t.service.database.db.selectFrom('jobs').select('id').where('source', '=', 'webhook').execute();
    assert.equal(jobs.length, 2, 'only the two authorized pushes above made jobs');
  });

  it('acknowledges a test event, and answers 400 naming the body for garbage, a new major version or an unroutable key', async () => {
    const test = await post(await envelope('aws_test_event', { key: 'x' }), bearer);
    assert.deepEqual([test.status, test.body.kind], [200, 'test']);
    for (const body of [
      'not json',
      (await envelope('aws_object_created', { key: 'bobs_burgers/icecream_machine/x.tar.gz', eTag: 'abc' })).replace('"2.1"', '"3.0"'),
      await envelope('aws_object_created', { key: 'bobs_burgers/x.tar.gz', eTag: 'abc' }),
    ]) {
      const response = await post(body, bearer);
      assert.equal(response.status, 400, body.slice(0, 40));
      assert.match(response.body.error.message, /^body: /);
    }
  });

  it('answers 413 for a body over http.bodyLimitBytes', async () => {
    const response = await post(JSON.stringify({ Records: [], padding: 'x'.repeat(70_000) }), bearer);
    assert.equal(response.status, 413);
  });

  it('is not served at all while s3.webhook.token is null', async () => {
    const config = { ...t.config, s3: { ...t.config.s3, webhook: { token: null } } };
    const app = createApp({
      db: t.service.database.db,
      config,
      logger: objectJobDepsFor(t, env.s3).logger,
      accept: t.service.accept,
      objectJobs: objectJobDepsFor(t, env.s3),
    });
    const server = createServer(app.callback());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const response = await fetch(`http://127.0.0.1:${port}/api/1.0/s3/events`, { method: 'POST', headers: bearer, body: '{}' });
      assert.equal(response.status, 404);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
