import assert from 'node:assert/strict';
import type { IngestModule } from '../../../src/modules/types.js';
import { echoModule } from '../../support/echo-module.js';
import { startTestService, TEST_ADMIN_KEY, type TestService } from '../../support/start-test-service.js';
import { apiClient, type ApiClient } from '../../support/http-client.js';
import { gzipLike, startStreamingUpload, waitUntil } from '../../support/upload-test-client.js';
import { parseResult } from '../../../src/modules/parse-result.js';

const UPLOAD_PATH = '/api/1.0/uploads/hydrastor/veritas2hview';

/** The worker is off: the job only has to exist under the module's key. */
const veritasStub = {
  category: 'hydrastor',
  type: 'veritas2hview',
  version: 1,
  group: () => 'unknown',
  parse: async () => parseResult({}),
  upsert: async () => ({}),
} satisfies IngestModule<object>;

describe('Upload-Id is scoped to the key’s customer', () => {
  let t: TestService;
  let admin: ApiClient;
  let bobs: ApiClient;
  let krusty: ApiClient;
  let bobsKey: string;
  let krustyKey: string;

  before(async () => {
    t = await startTestService({
      customers: ['bobs_burgers', 'krusty_krab'],
      modules: [echoModule, veritasStub],
      overrides: { worker: { enabled: false }, http: { rateLimit: { pointsPerSecond: 0 } } },
    });
    admin = apiClient(t.service.httpUrl!, TEST_ADMIN_KEY);
    bobsKey = (await admin.post('/api/1.0/api-keys', { customer: 'bobs_burgers', label: 'uploads' })).body.key;
    krustyKey = (await admin.post('/api/1.0/api-keys', { customer: 'krusty_krab', label: 'uploads' })).body.key;
    bobs = apiClient(t.service.httpUrl!, bobsKey);
    krusty = apiClient(t.service.httpUrl!, krustyKey);
  });
  after(async () => {
    await t?.stop();
  });

  const send = (key: string, uploadId: string, fill: number) =>
    apiClient(t.service.httpUrl!, key).raw(`${UPLOAD_PATH}?group=scope`, {
      method: 'POST',
      body: gzipLike(4096, fill),
      headers: { 'X-Api-Key': key, 'Content-Type': 'application/octet-stream', 'Upload-Id': uploadId },
    });

  it('lets another customer use the same id without taking over the first one’s progress', async () => {
    const uploadId = 'shared-upload-0001';
    const first = await send(bobsKey, uploadId, 0x41);
    assert.equal(first.status, 202);
    const second = await send(krustyKey, uploadId, 0x42);
    assert.equal(second.status, 202);

    const bobsView = await bobs.get(`/api/1.0/uploads/${uploadId}`);
    assert.equal(bobsView.status, 200, 'the first customer still finds its own upload');
    assert.deepEqual([bobsView.body.customer, bobsView.body.state, bobsView.body.jobId], ['bobs_burgers', 'stored', first.body.job.id]);
    const krustyView = await krusty.get(`/api/1.0/uploads/${uploadId}`);
    assert.deepEqual([krustyView.body.customer, krustyView.body.jobId], ['krusty_krab', second.body.job.id]);
    assert.deepEqual(
      (await bobs.get('/api/1.0/uploads')).body.uploads.map((upload: { customer: string }) => upload.customer),
      ['bobs_burgers'],
    );
    // An admin key sees the newest upload of that id.
    assert.equal((await admin.get(`/api/1.0/uploads/${uploadId}`)).body.customer, 'krusty_krab');
  });

  it('neither refuses nor reveals an id another customer has in progress, and 404s a customer’s id to the other', async () => {
    const uploadId = 'shared-upload-0002';
    const streaming = startStreamingUpload({
      url: `${t.service.httpUrl}${UPLOAD_PATH}?group=scope`,
      headers: { 'X-Api-Key': bobsKey, 'Content-Length': String(8192), 'Upload-Id': uploadId },
    });
    await streaming.write(gzipLike(4096, 0x43));
    await waitUntil('the first bytes to arrive', async () =>
      (await bobs.get(`/api/1.0/uploads/${uploadId}`)).body?.bytesReceived === 4096 ? true : undefined,
    );
    assert.equal((await krusty.get(`/api/1.0/uploads/${uploadId}`)).status, 404, 'another customer does not see it');

    const other = await send(krustyKey, uploadId, 0x44);
    assert.equal(other.status, 202, 'no 409: the id is free for this customer');
    assert.equal((await bobs.get(`/api/1.0/uploads/${uploadId}`)).body.state, 'receiving', 'the first upload is still the first customer’s');

    await streaming.write(Buffer.alloc(4096));
    streaming.request.end();
    const answer = await streaming.answer;
    assert.equal(answer.status, 202);
    const done = (await bobs.get(`/api/1.0/uploads/${uploadId}`)).body;
    assert.deepEqual([done.customer, done.state, done.jobId], ['bobs_burgers', 'stored', answer.body.job.id]);
    assert.equal((await krusty.get(`/api/1.0/uploads/${uploadId}`)).body.jobId, other.body.job.id);
    assert.equal((await bobs.get('/api/1.0/uploads/never-used-0001')).status, 404);
  });
});
