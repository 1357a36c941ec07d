import assert from 'node:assert/strict';
import { startTestService, type TestService } from '../support/start-test-service.js';
import { RawSmtpClient, type SmtpReply } from '../support/raw-smtp-client.js';
import { INGEST_DOMAIN, incomingLeftovers, jobCount } from '../support/smtp-test-helpers.js';

const BOB = `bobs_burgers@${INGEST_DOMAIN}`;
const SENDER = 'hydrastor@icecream-machine.example';

/**
 * The DATA idle deadline against a real client over TCP: `smtp.dataIdleSeconds` is 1 s while
 * smtp-server's own idle timeout (`socketTimeoutSeconds`) is 30 s, so only the deadline can
 * answer within the test's few seconds.
 */
describe('SMTP DATA idle deadline (real server, real client, real PostgreSQL)', function () {
  this.timeout(30_000);
  let t: TestService;
  let port: number;

  before(async () => {
    t = await startTestService({ overrides: { worker: { enabled: false }, smtp: { dataIdleSeconds: 1, socketTimeoutSeconds: 30, customerCacheSeconds: 0 } } });
    port = t.service.smtpAddress?.port ?? 0;
  });
  after(async () => {
    await t?.stop();
  });

  async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (await check()) return true;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return check();
  }

  function expectIdleCut(reply: SmtpReply): void {
    assert.equal(reply.code, 421, reply.text);
    assert.match(reply.text, /^4\.4\.2 .*Timeout waiting for message data/);
  }

  it('cuts a client that goes silent mid-DATA with 421 4.4.2 and removes its partial folder at once', async () => {
    const before = await jobCount(t);
    const { client } = await RawSmtpClient.connect(port);
    try {
      await client.startData({ from: SENDER, to: [BOB] });
      // Larger than spool.maxArrivalBytes: it streams into inbox/.incoming/<id>/ while it arrives.
      await client.write(`Subject: silent\r\n\r\n${`${'s'.repeat(98)}\r\n`.repeat(3000)}`);
      assert.ok(await until(async () => (await incomingLeftovers(t)).length > 0, 5000), 'the partial message is on disk');
      const started = Date.now();
      expectIdleCut(await client.reply(5000));
      assert.ok(Date.now() - started < 3000, `cut after ${Date.now() - started} ms`);
      assert.ok(await until(async () => (await incomingLeftovers(t)).length === 0, 1000), 'the partial folder is removed');
      assert.ok(await until(async () => client.closed, 3000), 'the connection is closed');
      assert.equal(await jobCount(t), before);
    } finally {
      client.destroy();
    }
  });

  it('cuts a client that trickles a byte at a time (which resets the socket idle timeout)', async () => {
    const before = await jobCount(t);
    const { client } = await RawSmtpClient.connect(port);
    let trickling = true;
    try {
      await client.startData({ from: SENDER, to: [BOB] });
      await client.write('Subject: trickle\r\n\r\n');
      const started = Date.now();
      const trickle = (async () => {
        while (trickling && !client.closed) {
          await client.write('x').catch(() => undefined);
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      })();
      const reply = await client.reply(8000);
      trickling = false;
      await trickle;
      expectIdleCut(reply);
      assert.ok(Date.now() - started < 4000, `cut after ${Date.now() - started} ms`);
      assert.ok(await until(async () => client.closed, 3000), 'the connection is closed');
      assert.deepEqual(await incomingLeftovers(t), []);
      assert.equal(await jobCount(t), before);
    } finally {
      trickling = false;
      client.destroy();
    }
  });

  it('takes a slow but steady message (a line of 1,000 bytes every 0.4 s for 3 s)', async () => {
    const { client } = await RawSmtpClient.connect(port);
    try {
      await client.startData({ from: SENDER, to: [BOB] });
      await client.write('Subject: slow and steady\r\n\r\n');
      for (let line = 0; line < 8; line += 1) {
        await new Promise((resolve) => setTimeout(resolve, 400));
        await client.write(`${String(line).padStart(998, '.')}\r\n`);
      }
      await client.write('.\r\n');
      const reply = await client.reply(10_000);
      assert.equal(reply.code, 250, reply.text);
    } finally {
      await client.quit();
    }
  });
});

describe('SMTP DATA idle deadline after a refusal (real server, real client)', function () {
  this.timeout(30_000);
  let t: TestService;

  before(async () => {
    t = await startTestService({
      overrides: { worker: { enabled: false }, smtp: { dataIdleSeconds: 1, socketTimeoutSeconds: 30, maxMessageBytes: 100_000, customerCacheSeconds: 0 } },
    });
  });
  after(async () => {
    await t?.stop();
  });

  it('cuts a client that trickles the rest of a message already refused as too large', async () => {
    const { client } = await RawSmtpClient.connect(t.service.smtpAddress?.port ?? 0);
    let trickling = true;
    try {
      await client.startData({ from: SENDER, to: [BOB] });
      // Over the size limit at once: the reader gives up and the rest is only read off.
      await client.write(`Subject: too large\r\n\r\n${`${'L'.repeat(98)}\r\n`.repeat(1500)}`);
      const started = Date.now();
      const trickle = (async () => {
        while (trickling && !client.closed) {
          await client.write('x').catch(() => undefined);
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      })();
      const reply = await client.reply(8000);
      trickling = false;
      await trickle;
      assert.equal(reply.code, 421, reply.text);
      assert.match(reply.text, /^4\.4\.2 .*Timeout waiting for message data/);
      assert.ok(Date.now() - started < 5000, `cut after ${Date.now() - started} ms`);
    } finally {
      trickling = false;
      client.destroy();
    }
  });
});
