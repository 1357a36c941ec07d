import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { startTestService, type TestService } from '../support/start-test-service.js';

/** Milliseconds from the TCP connection to the first line of the greeting. */
function greetingDelay(host: string, port: number): Promise<{ ms: number; line: string }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const socket = connect({ host, port });
    socket.setEncoding('utf8');
    socket.once('data', (line: string) => {
      resolve({ ms: performance.now() - started, line });
      socket.end('QUIT\r\n');
    });
    socket.once('error', reject);
  });
}

/** smtp-server's early-talker pause (SMTPConnection#init): every untrusted greeting waits at least this long. */
const LIBRARY_PAUSE_MS = 100;

describe('SMTP greeting: trusted relays are greeted at once, everyone else after the early-talker pause', function () {
  this.timeout(60_000);
  let trusting: TestService;
  let untrusting: TestService;

  before(async () => {
    trusting = await startTestService({ overrides: { worker: { enabled: false }, smtp: { trustedRelays: ['127.0.0.1'] } } });
    untrusting = await startTestService({ overrides: { worker: { enabled: false } } });
  });
  after(async () => {
    await trusting?.stop();
    await untrusting?.stop();
  });

  it('keeps the pause for a host that is not a trusted relay', async () => {
    const { host, port } = untrusting.service.smtpAddress!;
    for (let i = 0; i < 3; i += 1) {
      const { ms, line } = await greetingDelay(host, port);
      assert.match(line, /^220 /);
      assert.ok(ms >= LIBRARY_PAUSE_MS - 5, `greeted after ${ms.toFixed(1)} ms`);
    }
  });

  it('greets a trusted relay without it (one message per connection pays no 100 ms)', async () => {
    const { host, port } = trusting.service.smtpAddress!;
    const delays: number[] = [];
    for (let i = 0; i < 5; i += 1) {
      const { ms, line } = await greetingDelay(host, port);
      assert.match(line, /^220 /);
      delays.push(ms);
    }
    // The median, so one slow scheduling moment on a busy machine does not decide it.
    const median = [...delays].sort((a, b) => a - b)[2]!;
    assert.ok(median < LIBRARY_PAUSE_MS / 2, `greetings after ${delays.map((ms) => ms.toFixed(1)).join(', ')} ms`);
  });
});
