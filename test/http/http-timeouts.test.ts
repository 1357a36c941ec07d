import assert from 'node:assert/strict';
import net from 'node:net';
import type { IngestModule } from '../../src/modules/types.js';
import { echoModule } from '../support/echo-module.js';
import { startTestService, TEST_ADMIN_KEY, type TestService } from '../support/start-test-service.js';
import { apiClient } from '../support/http-client.js';
import { gzipLike, startStreamingUpload, storedState, waitUntil } from '../support/upload-test-client.js';
import { parseResult } from '../../src/modules/parse-result.js';

const HEADERS_SECONDS = 0.6;
const BODY_SECONDS = 0.6;
const UPLOAD_IDLE_SECONDS = 1;
const UPLOAD_PATH = '/api/1.0/uploads/hydrastor/veritas2hview';

const veritasStub = {
  category: 'hydrastor',
  type: 'veritas2hview',
  version: 1,
  group: () => 'unknown',
  parse: async () => parseResult({}),
  upsert: async () => ({}),
} satisfies IngestModule<object>;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
/** The losing side of a race with a close: unreferenced, so it does not outlive the test (the root hook's leak check). */
const resolveAfter = <T>(ms: number, value: T): Promise<T> => new Promise((resolve) => setTimeout(resolve, ms, value).unref());

/** A raw connection: the test decides when each byte goes out, and sees the answer and the close. */
function openRaw(port: number): { socket: net.Socket; closed: Promise<{ text: string; afterMs: number }> } {
  const started = Date.now();
  const socket = net.connect(port, '127.0.0.1');
  let text = '';
  socket.on('data', (chunk) => {
    text += chunk.toString('latin1');
  });
  socket.on('error', () => undefined);
  const closed = new Promise<{ text: string; afterMs: number }>((resolve) => socket.once('close', () => resolve({ text, afterMs: Date.now() - started })));
  return { socket, closed };
}

describe('HTTP timeouts: stalled clients are cut, long uploads that keep sending are not', function () {
  this.timeout(60_000);
  let t: TestService;
  let port: number;

  before(async () => {
    t = await startTestService({
      modules: [echoModule, veritasStub],
      overrides: {
        worker: { enabled: false },
        http: {
          rateLimit: { pointsPerSecond: 0 },
          timeouts: { headersSeconds: HEADERS_SECONDS, bodySeconds: BODY_SECONDS, uploadIdleSeconds: UPLOAD_IDLE_SECONDS },
        },
      },
    });
    port = Number(new URL(t.service.httpUrl!).port);
  });
  after(async () => {
    await t?.stop();
  });

  it('closes a connection whose headers stall (http.timeouts.headersSeconds)', async () => {
    const { socket, closed } = openRaw(port);
    socket.write(`GET /api/1.0/jobs HTTP/1.1\r\nHost: x\r\nX-Api-Key: ${TEST_ADMIN_KEY}\r\n`);
    const { text, afterMs } = await Promise.race([closed, resolveAfter(10_000, { text: 'still open after 10 s', afterMs: Infinity })]);
    socket.destroy();
    assert.match(text, /^HTTP\/1\.1 408 /, text);
    assert.ok(afterMs >= HEADERS_SECONDS * 1000 - 50 && afterMs < 5_000, `closed after ${afterMs} ms`);
  });

  it('answers 408 and closes when a JSON body stalls, and when it trickles past the total limit', async () => {
    for (const trickle of [false, true]) {
      const { socket, closed } = openRaw(port);
      socket.write(
        `POST /api/1.0/customers HTTP/1.1\r\nHost: x\r\nX-Api-Key: ${TEST_ADMIN_KEY}\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{"slug":`,
      );
      // A byte every 100 ms keeps the socket busy: only a total limit ends it.
      const ticker = trickle ? setInterval(() => socket.write(' '), 100) : undefined;
      try {
        const { text, afterMs } = await Promise.race([closed, resolveAfter(10_000, { text: 'still open after 10 s', afterMs: Infinity })]);
        assert.match(text, /^HTTP\/1\.1 408 /, text);
        assert.match(text, /"code":"REQUEST_TIMEOUT".*body: not received within 0\.6 s/);
        assert.ok(afterMs >= BODY_SECONDS * 1000 - 50 && afterMs < 5_000, `closed after ${afterMs} ms`);
      } finally {
        clearInterval(ticker);
        socket.destroy();
      }
    }
    assert.equal((await apiClient(t.service.httpUrl!, TEST_ADMIN_KEY).get('/api/1.0/customers')).body.customers.length, 1, 'nothing was created');
  });

  it('never cuts an upload that keeps sending, however long it takes in total', async () => {
    const chunks = 16;
    const streaming = startStreamingUpload({
      url: `${t.service.httpUrl}${UPLOAD_PATH}?customer=bobs_burgers&group=slow`,
      headers: { 'X-Api-Key': TEST_ADMIN_KEY, 'Content-Length': String(chunks * 1024) },
    });
    const started = Date.now();
    await streaming.write(gzipLike(1024));
    for (let n = 1; n < chunks; n += 1) {
      await sleep(200);
      await streaming.write(Buffer.alloc(1024, n));
    }
    streaming.request.end();
    const answer = await streaming.answer;
    const tookMs = Date.now() - started;
    assert.equal(answer.status, 202, JSON.stringify(answer.body));
    assert.ok(tookMs > (BODY_SECONDS + HEADERS_SECONDS + UPLOAD_IDLE_SECONDS) * 1000, `the upload took ${tookMs} ms, longer than every limit`);
  });

  it('cuts an upload that stalls after the idle time, and keeps nothing of it', async () => {
    const before = await storedState(t);
    const uploadId = 'stalled-upload-0001';
    const streaming = startStreamingUpload({
      url: `${t.service.httpUrl}${UPLOAD_PATH}?customer=bobs_burgers&group=stalled`,
      headers: { 'X-Api-Key': TEST_ADMIN_KEY, 'Content-Length': String(64 * 1024), 'Upload-Id': uploadId },
    });
    const started = Date.now();
    await streaming.write(gzipLike(16 * 1024));
    const cut = await Promise.race([
      new Promise<number>((resolve) => streaming.request.once('close', () => resolve(Date.now() - started))),
      resolveAfter(10_000, Infinity),
    ]);
    streaming.request.destroy();
    assert.ok(cut >= UPLOAD_IDLE_SECONDS * 1000 - 50 && cut < 5_000, `cut after ${cut} ms`);
    const admin = apiClient(t.service.httpUrl!, TEST_ADMIN_KEY);
    const failed = await waitUntil('the upload to fail', async () => {
      const { body } = await admin.get(`/api/1.0/uploads/${uploadId}`);
      return body?.state === 'failed' ? body : undefined;
    });
    assert.match(failed.error.message, /no bytes received for 1 s/);
    assert.deepEqual(await storedState(t), before, 'no job, no file');
  });
});
