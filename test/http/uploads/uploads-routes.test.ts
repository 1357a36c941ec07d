import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { IngestModule } from '../../../src/modules/types.js';
import { UNREAD_BODY_GRACE_MS } from '../../../src/http/uploads/upload-body.js';
import { echoModule } from '../../support/echo-module.js';
import { startTestService, TEST_ADMIN_KEY, type TestService } from '../../support/start-test-service.js';
import { apiClient, type ApiClient, type ApiResponse } from '../../support/http-client.js';
import { gzipLike, startStreamingUpload, storedState, waitUntil } from '../../support/upload-test-client.js';
import { parseResult } from '../../../src/modules/parse-result.js';

const TAR_GZ = new URL('../../fixtures/upload/veritas2hview_small.tar.gz', import.meta.url);
const ZIP = new URL('../../fixtures/upload/veritas2hview_small.zip', import.meta.url);
const NOT_AN_ARCHIVE = new URL('../../fixtures/hostile/not_an_archive.tar.gz', import.meta.url);
const LIMIT_BYTES = 256 * 1024;
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

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

describe('POST /api/1.0/uploads/:category/:type (direct upload)', () => {
  let t: TestService;
  let admin: ApiClient;
  let bobsKey: string;
  let krustyKey: string;
  let tarGz: Buffer;
  let zip: Buffer;

  before(async () => {
    t = await startTestService({
      customers: ['bobs_burgers', 'krusty_krab'],
      modules: [echoModule, veritasStub],
      overrides: { worker: { enabled: false }, http: { rateLimit: { pointsPerSecond: 0 } }, uploads: { maxBytes: LIMIT_BYTES } },
    });
    admin = apiClient(t.service.httpUrl!, TEST_ADMIN_KEY);
    bobsKey = (await admin.post('/api/1.0/api-keys', { customer: 'bobs_burgers', label: 'uploads' })).body.key;
    krustyKey = (await admin.post('/api/1.0/api-keys', { customer: 'krusty_krab', label: 'uploads' })).body.key;
    [tarGz, zip] = await Promise.all([readFile(TAR_GZ), readFile(ZIP)]);
  });
  after(async () => {
    await t?.stop();
  });

  const url = (query = ''): string => `${t.service.httpUrl}${UPLOAD_PATH}${query}`;
  async function upload(args: {
    readonly key: string;
    readonly body: NonNullable<RequestInit['body']>;
    readonly query?: string;
    readonly headers?: Record<string, string>;
  }): Promise<ApiResponse> {
    return apiClient(t.service.httpUrl!, args.key).raw(`${UPLOAD_PATH}${args.query ?? ''}`, {
      method: 'POST',
      body: args.body,
      headers: { 'X-Api-Key': args.key, ...args.headers },
    });
  }
  const raw = (bytes: Buffer, extra: Record<string, string> = {}): { body: NonNullable<RequestInit['body']>; headers: Record<string, string> } => ({
    body: bytes,
    headers: { 'Content-Type': 'application/octet-stream', ...extra },
  });
  const stagedFile = async (jobId: string) => {
    const detail = await admin.get(`/api/1.0/jobs/${jobId}`);
    const file = detail.body.files[0];
    return { detail: detail.body, file, bytes: await readFile(path.join(t.dataRoot, detail.body.paths.inbox, file.name)) };
  };
  /** Runs a request that must fail and checks that it left no job and no file behind. */
  async function refusedWithoutTrace(send: () => Promise<{ status: number; body: any }>): Promise<{ status: number; body: any }> {
    const before = await storedState(t);
    const answer = await send();
    assert.deepEqual(await storedState(t), before, 'no job, no file');
    return answer;
  }

  it('streams a raw .tar.gz into inbox/ and answers 202 with the queued job once it is durable', async () => {
    const response = await upload({ key: bobsKey, query: '?group=icecream_machine&filename=Veritas2Hview%20nbumaster01%202023-01-13.tar.gz', ...raw(tarGz) });
    assert.equal(response.status, 202, response.text);
    const { job, duplicate, uploadId } = response.body;
    assert.equal(duplicate, false);
    assert.deepEqual(
      [job.status, job.source, job.customer, job.category, job.type, job.group],
      ['queued', 'api', 'bobs_burgers', 'hydrastor', 'veritas2hview', 'icecream_machine'],
    );
    assert.equal(response.headers.get('location'), `/api/1.0/jobs/${job.id}`);
    assert.equal(response.headers.get('upload-id'), uploadId);
    const { detail, file, bytes } = await stagedFile(job.id);
    assert.deepEqual(file, {
      name: 'upload.tar.gz',
      size: tarGz.length,
      sha256: sha256(tarGz),
      originalName: 'Veritas2Hview nbumaster01 2023-01-13.tar.gz',
      role: 'object',
      contentType: 'application/octet-stream',
    });
    assert.ok(bytes.equals(tarGz), 'the staged file is the upload, byte for byte');
    assert.equal(detail.sourceRef.uploadId, uploadId);
  });

  it('takes the part named "file" of a multipart/form-data body (browsers), with customer and group as headers', async () => {
    const form = new FormData();
    form.append('comment', 'ignored text field');
    form.append('file', new Blob([zip], { type: 'application/zip' }), 'veritas2hview_small.zip');
    const response = await upload({ key: TEST_ADMIN_KEY, body: form, headers: { 'X-Customer': 'bobs_burgers', 'X-Group': 'grid 7' } });
    assert.equal(response.status, 202, response.text);
    assert.deepEqual([response.body.job.customer, response.body.job.group], ['bobs_burgers', 'grid 7']);
    const { file, bytes } = await stagedFile(response.body.job.id);
    assert.deepEqual([file.name, file.originalName, file.contentType], ['upload.zip', 'veritas2hview_small.zip', 'application/zip']);
    assert.ok(bytes.equals(zip));
  });

  it('decides the type by the first bytes, not the name or the Content-Type (which never meets the JSON body parser)', async () => {
    const response = await upload({ key: bobsKey, query: '?filename=dump.tar.gz', body: zip, headers: { 'Content-Type': 'application/json' } });
    assert.equal(response.status, 202, response.text);
    assert.equal((await stagedFile(response.body.job.id)).file.name, 'upload.zip');
  });

  it('refuses wrong magic bytes with 415 after peeking at the start, without waiting for the rest', async () => {
    const fixture = await readFile(NOT_AN_ARCHIVE);
    const small = await refusedWithoutTrace(() => upload({ key: bobsKey, ...raw(fixture) }));
    assert.equal(small.status, 415);
    assert.equal(small.body.error.code, 'UNSUPPORTED_MEDIA_TYPE');
    assert.match(small.body.error.message, /not a \.tar\.gz\/\.tgz or \.zip archive.*read from the content/);

    // A long body whose first bytes are HTML: the answer comes while the request is still open.
    const answer = await refusedWithoutTrace(async () => {
      const streaming = startStreamingUpload({
        url: url(),
        headers: { 'X-Api-Key': bobsKey, 'Content-Type': 'application/octet-stream', 'Content-Length': String(LIMIT_BYTES) },
      });
      await streaming.write(Buffer.from('<!DOCTYPE html><html>'));
      const early = await streaming.answer;
      streaming.request.destroy();
      return early;
    });
    assert.equal(answer.status, 415);
  });

  it('refuses an upload over the limit with 413 while it streams, not after buffering it', async () => {
    // Announced: refused from the headers, before a byte of the body is sent.
    const announced = await refusedWithoutTrace(async () => {
      const streaming = startStreamingUpload({
        url: url('?customer=bobs_burgers'),
        headers: { 'X-Api-Key': TEST_ADMIN_KEY, 'Content-Length': String(LIMIT_BYTES + 1) },
      });
      const early = await streaming.answer;
      streaming.request.destroy();
      return early;
    });
    assert.equal(announced.status, 413);
    assert.equal(announced.body.error.code, 'PAYLOAD_TOO_LARGE');
    assert.match(announced.body.error.message, new RegExp(`limit of ${LIMIT_BYTES} bytes \\(uploads\\.maxBytes\\)`));

    // Chunked (no Content-Length): refused as soon as the streamed bytes pass the limit.
    const streamed = await refusedWithoutTrace(async () => {
      const streaming = startStreamingUpload({ url: url(), headers: { 'X-Api-Key': bobsKey, 'Transfer-Encoding': 'chunked' } });
      const chunk = gzipLike(64 * 1024);
      let sent = 0;
      let early: Awaited<typeof streaming.answer> | undefined;
      void streaming.answer.then((value) => {
        early = value;
      });
      while (early === undefined && sent < 4 * LIMIT_BYTES) {
        await streaming.write(chunk);
        sent += chunk.length;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      const answer = await streaming.answer;
      assert.ok(sent <= LIMIT_BYTES + 3 * chunk.length, `answered after ${sent} bytes, near the limit of ${LIMIT_BYTES}`);
      streaming.request.destroy();
      return answer;
    });
    assert.equal(streamed.status, 413);
    assert.match(streamed.body.error.message, /the file is larger than the limit/);
  });

  it('refuses a multipart upload over the limit while it streams, then hangs up on a client that keeps sending', async function () {
    this.timeout(UNREAD_BODY_GRACE_MS + 20_000);
    const boundary = 'test-boundary-0123456789';
    const answer = await refusedWithoutTrace(async () => {
      const streaming = startStreamingUpload({
        url: url(),
        headers: { 'X-Api-Key': bobsKey, 'Content-Type': `multipart/form-data; boundary=${boundary}`, 'Transfer-Encoding': 'chunked' },
      });
      await streaming.write(
        Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.tar.gz"\r\nContent-Type: application/gzip\r\n\r\n`),
      );
      let early: Awaited<typeof streaming.answer> | undefined;
      void streaming.answer.then((value) => {
        early = value;
      });
      for (let sent = 0; early === undefined && sent < 4 * LIMIT_BYTES; sent += 64 * 1024) {
        await streaming.write(gzipLike(64 * 1024));
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      const refused = await streaming.answer;
      const answeredAt = Date.now();
      // Still sending after the answer: read and dropped for a grace period, then the connection
      // is closed (the parser still holds the unfinished file part at that moment).
      let hungUpAfterMs: number | undefined;
      while (hungUpAfterMs === undefined && Date.now() - answeredAt < UNREAD_BODY_GRACE_MS + 10_000) {
        try {
          await streaming.write(gzipLike(1024));
        } catch {
          hungUpAfterMs = Date.now() - answeredAt;
        }
        if (streaming.request.socket?.destroyed === true) hungUpAfterMs ??= Date.now() - answeredAt;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.ok(hungUpAfterMs !== undefined && hungUpAfterMs >= UNREAD_BODY_GRACE_MS - 500, `hung up after ${hungUpAfterMs} ms`);
      streaming.request.destroy();
      return refused;
    });
    assert.equal(answer.status, 413);
    assert.equal((await admin.get('/healthz')).status, 200, 'the service is still up');
  });

  it('keeps no job and no file when the client disconnects mid-upload (raw or multipart), and the upload shows as failed', async () => {
    const boundary = 'test-boundary-truncated';
    const bobs = apiClient(t.service.httpUrl!, bobsKey);
    for (const multipart of [false, true]) {
      const before = await storedState(t);
      const uploadId = `truncated-upload-${multipart ? 'multipart' : 'raw'}`;
      const streaming = startStreamingUpload({
        url: url('?group=g1'),
        headers: {
          'X-Api-Key': bobsKey,
          'Content-Length': String(200 * 1024),
          'Upload-Id': uploadId,
          ...(multipart ? { 'Content-Type': `multipart/form-data; boundary=${boundary}` } : {}),
        },
      });
      if (multipart) await streaming.write(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="cut.tar.gz"\r\n\r\n`));
      await streaming.write(gzipLike(100 * 1024));
      await waitUntil('the first bytes to arrive', async () =>
        (await bobs.get(`/api/1.0/uploads/${uploadId}`)).body?.bytesReceived >= 100 * 1024 ? true : undefined,
      );
      streaming.request.destroy();
      const ended = await waitUntil('the upload to fail', async () => {
        const { body } = await bobs.get(`/api/1.0/uploads/${uploadId}`);
        return body.state === 'failed' ? body : undefined;
      });
      assert.equal(ended.jobId, null);
      assert.equal(ended.error.code, 'BAD_REQUEST');
      assert.match(ended.error.message, /disconnected before the end of the upload; nothing was kept/);
      assert.deepEqual(await storedState(t), before, 'no job, no file');
    }
  });

  it('lets a customer key upload for its own customer only, and refuses an admin key that names none', async () => {
    const other = await refusedWithoutTrace(() => upload({ key: krustyKey, query: '?customer=bobs_burgers', ...raw(tarGz) }));
    assert.equal(other.status, 403);
    assert.equal(other.body.error.message, 'this API key may upload for customer "krusty_krab" only');
    const viaHeader = await refusedWithoutTrace(() => upload({ key: krustyKey, ...raw(tarGz, { 'X-Customer': 'bobs_burgers' }) }));
    assert.equal(viaHeader.status, 403);
    const noCustomer = await refusedWithoutTrace(() => upload({ key: TEST_ADMIN_KEY, ...raw(tarGz) }));
    assert.equal(noCustomer.status, 400);
    assert.match(noCustomer.body.error.message, /^customer: is required with an admin key/);
    const unknown = await refusedWithoutTrace(() => upload({ key: TEST_ADMIN_KEY, query: '?customer=nobody_here', ...raw(tarGz) }));
    assert.deepEqual([unknown.status, unknown.body.error.code], [400, 'CUSTOMER_UNKNOWN']);
    const noKey = await refusedWithoutTrace(() => upload({ key: 'not-a-key', ...raw(tarGz) }));
    assert.equal(noKey.status, 401);
  });

  it('refuses what can never work with a 400 naming the problem, keeping nothing', async () => {
    const cases: Array<[string, () => Promise<ApiResponse>, RegExp]> = [
      ['empty body', () => upload({ key: bobsKey, ...raw(Buffer.alloc(0)) }), /^body: is empty/],
      [
        'unknown module',
        () =>
          apiClient(t.service.httpUrl!, bobsKey).raw('/api/1.0/uploads/hydrastor/nothing_such', {
            method: 'POST',
            body: tarGz,
            headers: { 'X-Api-Key': bobsKey },
          }),
        /no module "hydrastor\/nothing_such"/,
      ],
      [
        'bad type segment',
        () => apiClient(t.service.httpUrl!, bobsKey).raw('/api/1.0/uploads/Hydra/x', { method: 'POST', body: tarGz, headers: { 'X-Api-Key': bobsKey } }),
        /^category: must be lower-case/,
      ],
      [
        'query and header disagree',
        () => upload({ key: bobsKey, query: '?group=a', ...raw(tarGz, { 'X-Group': 'b' }) }),
        /^group: the query parameter and the header disagree/,
      ],
      ['unknown parameter', () => upload({ key: bobsKey, query: '?grid=a', ...raw(tarGz) }), /^grid: is not a parameter/],
      ['bad Upload-Id', () => upload({ key: bobsKey, ...raw(tarGz, { 'Upload-Id': 'short' }) }), /^Upload-Id: must be 8 to 64/],
      [
        'multipart without a "file" part',
        () => {
          const form = new FormData();
          form.append('upload', new Blob([tarGz]), 'dump.tar.gz');
          return upload({ key: bobsKey, body: form });
        },
        /^body: the file must be the multipart part named "file"/,
      ],
      [
        'multipart with two files',
        () => {
          const form = new FormData();
          form.append('file', new Blob([tarGz]), 'one.tar.gz');
          form.append('file', new Blob([zip]), 'two.zip');
          return upload({ key: bobsKey, body: form });
        },
        /^body: send one file per upload/,
      ],
    ];
    for (const [name, send, message] of cases) {
      const answer = await refusedWithoutTrace(send);
      assert.equal(answer.status, 400, `${name}: ${JSON.stringify(answer.body)}`);
      assert.match(answer.body.error.message, message, name);
    }
  });

  it('makes one job of the same file uploaded twice with one Idempotency-Key; another file under that key is a 409', async () => {
    const file = gzipLike(4096, 0x42);
    const first = await upload({ key: bobsKey, query: '?group=idem', ...raw(file, { 'Idempotency-Key': 'nightly-2023-01-13' }) });
    assert.equal(first.status, 202, first.text);
    const filesAfterFirst = (await storedState(t)).files;
    const second = await upload({ key: bobsKey, query: '?group=idem', ...raw(file, { 'Idempotency-Key': 'nightly-2023-01-13' }) });
    assert.equal(second.status, 202, second.text);
    assert.deepEqual([second.body.job.id, second.body.duplicate], [first.body.job.id, true]);
    assert.deepEqual((await storedState(t)).files, filesAfterFirst, 'the repeat left no second folder');

    const changed = await refusedWithoutTrace(() =>
      upload({ key: bobsKey, query: '?group=idem', ...raw(gzipLike(4096, 0x43), { 'Idempotency-Key': 'nightly-2023-01-13' }) }),
    );
    assert.equal(changed.status, 409);
    assert.match(changed.body.error.message, /Idempotency-Key was already used with a different upload/);
  });

  it('makes one job of the same content uploaded twice without a key (the content hash)', async () => {
    const file = gzipLike(2048, 0x44);
    const first = await upload({ key: bobsKey, ...raw(file) });
    const second = await upload({ key: bobsKey, ...raw(file) });
    assert.deepEqual([first.status, second.status], [202, 202]);
    assert.deepEqual([second.body.job.id, second.body.duplicate], [first.body.job.id, true]);
  });

  it('shows the bytes received while an upload streams at GET /uploads/:uploadId, then the job', async () => {
    const uploadId = 'progress-upload-0001';
    const bobs = apiClient(t.service.httpUrl!, bobsKey);
    const krusty = apiClient(t.service.httpUrl!, krustyKey);
    const streaming = startStreamingUpload({
      url: url('?group=progress&filename=big.tar.gz'),
      headers: { 'X-Api-Key': bobsKey, 'Content-Length': String(96 * 1024), 'Upload-Id': uploadId },
    });
    await streaming.write(gzipLike(32 * 1024, 0x45));
    const midway = await waitUntil('32 KiB to arrive', async () => {
      const { body } = await bobs.get(`/api/1.0/uploads/${uploadId}`);
      return body?.bytesReceived === 32 * 1024 ? body : undefined;
    });
    assert.deepEqual(
      [midway.state, midway.customer, midway.category, midway.type, midway.group, midway.fileName, midway.expectedBytes, midway.jobId],
      ['receiving', 'bobs_burgers', 'hydrastor', 'veritas2hview', 'progress', 'big.tar.gz', 96 * 1024, null],
    );
    assert.ok(
      (await bobs.get('/api/1.0/uploads')).body.uploads.some((upload: { uploadId: string }) => upload.uploadId === uploadId),
      'listed while it streams',
    );
    assert.equal((await krusty.get(`/api/1.0/uploads/${uploadId}`)).status, 404, 'another customer cannot see it');
    assert.ok(!(await krusty.get('/api/1.0/uploads')).body.uploads.some((upload: { uploadId: string }) => upload.uploadId === uploadId));
    const jobsWhileStreaming = (await bobs.get('/api/1.0/jobs?group=progress')).body.jobs;
    assert.deepEqual(jobsWhileStreaming, [], 'no job exists before the bytes are durable');

    await streaming.write(gzipLike(64 * 1024, 0x46).subarray(2));
    await streaming.write(Buffer.alloc(2));
    streaming.request.end();
    const answer = await streaming.answer;
    assert.equal(answer.status, 202);
    const done = (await bobs.get(`/api/1.0/uploads/${uploadId}`)).body;
    assert.deepEqual([done.state, done.bytesReceived, done.jobId], ['stored', 96 * 1024, answer.body.job.id]);
  });

  it('answers 404 for presigned URLs while uploads.presign.enabled is false', async () => {
    const response = await admin.post('/api/1.0/uploads/presign', {
      category: 'hydrastor',
      type: 'veritas2hview',
      customer: 'bobs_burgers',
      group: 'g',
      fileName: 'a.tar.gz',
      size: 10,
    });
    assert.equal(response.status, 404);
    assert.match(response.body.error.message, /uploads\.presign\.enabled/);
  });
});
