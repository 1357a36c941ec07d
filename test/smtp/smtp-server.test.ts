import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import nodemailer from 'nodemailer';
import type { JobRow } from '../../src/db/database-schema.js';
import { Logging } from '../../src/logging/logging.js';
import type { AcceptResult, Arrival } from '../../src/pipeline/accept.js';
import { IngestError } from '../../src/core/ingest-error.js';
import type { RecipientCustomer } from '../../src/routing/route-recipient.js';
import { acceptMail } from '../../src/pipeline/mail/accept-mail.js';
import { IncomingFolder } from '../../src/pipeline/staging/stage.js';
import { createSmtpListener, type SmtpListener } from '../../src/smtp/smtp-server.js';
import { makeDataRoot, makeTestConfig } from '../support/test-config.js';
import { RawSmtpClient, expectCode } from '../support/raw-smtp-client.js';
import { INGEST_DOMAIN, jobIdsIn } from '../support/smtp-test-helpers.js';

const BOB = `bobs_burgers@${INGEST_DOMAIN}`;
const CUSTOMERS: readonly RecipientCustomer[] = [
  { slug: 'bobs_burgers', ingestAddresses: [], allowedSenders: [] },
  { slug: 'krusty_krab', ingestAddresses: [], allowedSenders: ['@krusty.example'] },
  { slug: 'strict_co', ingestAddresses: [], allowedSenders: ['@strict.example'], requireSenderAuth: 'dmarc' },
];

interface Harness {
  readonly listener: SmtpListener;
  readonly port: number;
  readonly dataRoot: string;
  /** What the fake pipeline received: customer, envelope, hints and the staged message. */
  readonly accepted: Array<{ readonly arrival: Arrival; readonly hints: Readonly<Record<string, string>>; readonly message: Buffer }>;
  readonly customerReads: { count: number };
  close(): Promise<void>;
}

/**
 * The listener alone, with the pipeline's door replaced (acceptMail is the real one): `accept` stages into a real incoming folder
 * (so the message is really streamed to disk) and answers with a made-up job, or runs `fail`.
 */
async function startListener(
  args: { readonly smtp?: Record<string, unknown>; readonly accept?: (arrival: Arrival) => Promise<AcceptResult>; readonly graceSeconds?: number } = {},
): Promise<Harness> {
  const dataRoot = await makeDataRoot();
  const config = makeTestConfig({
    databaseUrl: null,
    dataRoot,
    overrides: { smtp: { customerCacheSeconds: 5, ...args.smtp }, shutdown: { graceSeconds: args.graceSeconds ?? 5 } },
  });
  const logging = new Logging({ logDir: path.join(dataRoot, 'log'), level: 'error', console: false });
  const accepted: Harness['accepted'][number][] = [];
  const customerReads = { count: 0 };
  const listener = createSmtpListener({
    config,
    logger: logging.for('smtp'),
    findCustomers: async () => {
      customerReads.count += 1;
      return CUSTOMERS;
    },
    acceptMail: (mail) =>
      acceptMail({
        ...mail,
        accept:
          args.accept ??
          (async (arrival) => {
            const folder = await IncomingFolder.create(dataRoot);
            const hints = (await arrival.writeFiles(folder)) ?? {};
            accepted.push({ arrival, hints: { ...arrival.hints, ...hints }, message: await readFile(path.join(folder.dir, 'message.eml')) });
            await folder.discard();
            return { job: { id: randomUUID(), customer: arrival.customer, status: 'queued' } as JobRow, duplicate: false };
          }),
      }),
  });
  await listener.start();
  const address = listener.address();
  assert.ok(address !== null);
  return {
    listener,
    port: address.port,
    dataRoot,
    accepted,
    customerReads,
    async close() {
      await listener.stop();
      await logging.close();
      await rm(dataRoot, { recursive: true, force: true });
    },
  };
}

async function deliver(
  client: RawSmtpClient,
  args: { readonly from: string; readonly to: readonly string[]; readonly body: string },
): Promise<ReturnType<RawSmtpClient['reply']>> {
  await client.startData({ from: args.from, to: args.to });
  await client.write(`${args.body}\r\n.\r\n`);
  return client.reply();
}

describe('SMTP listener hooks (pipeline replaced)', function () {
  this.timeout(15_000);

  it('answers 451 4.3.0 when accepting fails transiently or unexpectedly, after reading the whole message', async () => {
    const failures: unknown[] = [
      new IngestError('DATABASE_UNAVAILABLE', 'connection refused', { transient: true }),
      new Error('something internal'),
      new IngestError('DATABASE_ERROR', 'relation "jobs" does not exist'),
    ];
    let next = 0;
    const h = await startListener({
      accept: async () => {
        throw failures[next++];
      },
    });
    const { client } = await RawSmtpClient.connect(h.port);
    try {
      for (let attempt = 0; attempt < failures.length; attempt += 1) {
        const reply = await deliver(client, { from: 'a@b.example', to: [BOB], body: `Subject: ${attempt}\r\n\r\n${'unread body\r\n'.repeat(5000)}` });
        assert.equal(reply.code, 451, reply.text);
        assert.equal(reply.text, '4.3.0 Temporary local problem, please try again later', 'nothing internal is shown');
      }
      expectCode(await client.command('NOOP'), 250);
    } finally {
      await client.quit();
      await h.close();
    }
  });

  it('answers 452 4.3.1 at MAIL FROM when the data root has less than 1.5 x the message limit free', async () => {
    const h = await startListener({ smtp: { maxMessageBytes: 2 ** 50 } });
    const { client } = await RawSmtpClient.connect(h.port);
    try {
      expectCode(await client.command('EHLO client.test'), 250);
      const reply = await client.command('MAIL FROM:<a@b.example>');
      assert.equal(reply.code, 452);
      assert.match(reply.text, /^4\.3\.1 Insufficient system storage/);
    } finally {
      await client.quit();
      await h.close();
    }
  });

  it('takes at most maxRecipients per transaction (452 4.5.3 beyond), one accept per customer, and reads customers once per cache period', async () => {
    const h = await startListener({ smtp: { maxRecipients: 3 } });
    const { client } = await RawSmtpClient.connect(h.port);
    try {
      expectCode(await client.command('EHLO client.test'), 250);
      expectCode(await client.command('MAIL FROM:<ops@krusty.example>'), 250);
      for (const to of [BOB, `x+bobs_burgers@${INGEST_DOMAIN}`, `krusty_krab@${INGEST_DOMAIN}`]) expectCode(await client.command(`RCPT TO:<${to}>`), 250);
      expectCode(await client.command(`RCPT TO:<${BOB.toUpperCase()}>`), 250);
      const fourth = await client.command(`RCPT TO:<y+bobs_burgers@${INGEST_DOMAIN}>`);
      assert.equal(fourth.code, 452);
      assert.equal(fourth.text, '4.5.3 at most 3 recipients per message');
      expectCode(await client.command('DATA'), 354);
      const reply = await client.command('Subject: three\r\n\r\nhi\r\n.');
      assert.equal(reply.code, 250, reply.text);
      assert.equal(jobIdsIn(reply.text).length, 2);
      const byCustomer = new Map(h.accepted.map((entry) => [entry.arrival.customer, entry]));
      assert.deepEqual([...byCustomer.keys()].sort(), ['bobs_burgers', 'krusty_krab']);
      assert.deepEqual(
        byCustomer.get('bobs_burgers')?.arrival.sourceRef?.rcptTo,
        [BOB.toUpperCase(), `x+bobs_burgers@${INGEST_DOMAIN}`],
        'a repeated address replaces the earlier one',
      );
      assert.deepEqual(byCustomer.get('krusty_krab')?.arrival.sourceRef?.rcptTo, [`krusty_krab@${INGEST_DOMAIN}`]);
      assert.deepEqual(byCustomer.get('krusty_krab')?.message, byCustomer.get('bobs_burgers')?.message, 'the second customer gets a copy of the same bytes');
      assert.equal(byCustomer.get('krusty_krab')?.hints.subject, 'three');
      assert.equal(h.customerReads.count, 1);
    } finally {
      await client.quit();
      await h.close();
    }
  });

  it('survives an over-long command line (refused, never a crash) and still serves the next client', async () => {
    const h = await startListener();
    try {
      const { client } = await RawSmtpClient.connect(h.port);
      expectCode(await client.command('EHLO client.test'), 250);
      expectCode(await client.command('MAIL FROM:<a@b.example>'), 250);
      const reply = await client.command(`RCPT TO:<${'a'.repeat(20_000)}@${INGEST_DOMAIN}>`).catch(() => ({ code: 0, lines: [], text: 'closed' }));
      assert.ok(reply.code === 0 || reply.code === 421 || reply.code >= 500, `${reply.code} ${reply.text}`);
      client.destroy();
      const next = await RawSmtpClient.connect(h.port);
      const delivered = await deliver(next.client, { from: 'a@b.example', to: [BOB], body: 'Subject: after\r\n\r\nok' });
      assert.equal(delivered.code, 250, delivered.text);
      await next.client.quit();
    } finally {
      await h.close();
    }
  });

  it('refuses a third simultaneous connection from one address with 421 4.7.0 and frees the slot on close', async () => {
    const h = await startListener({ smtp: { maxConnectionsPerAddress: 2 } });
    const first = await RawSmtpClient.connect(h.port);
    const second = await RawSmtpClient.connect(h.port);
    try {
      const third = await RawSmtpClient.connect(h.port);
      assert.equal(third.greeting.code, 421);
      assert.equal(third.greeting.text, '4.7.0 too many connections from your address, try again later');
      third.client.destroy();
      await first.client.quit();
      await new Promise((resolve) => setTimeout(resolve, 100));
      const fourth = await RawSmtpClient.connect(h.port);
      assert.equal(fourth.greeting.code, 220);
      await fourth.client.quit();
    } finally {
      await second.client.quit();
      await h.close();
    }
  });

  it('closes a session that outlives sessionMaxSeconds with 421, even while it keeps talking', async () => {
    const h = await startListener({ smtp: { sessionMaxSeconds: 1 } });
    const { client } = await RawSmtpClient.connect(h.port);
    try {
      expectCode(await client.command('EHLO client.test'), 250);
      const started = Date.now();
      let last = await client.command('NOOP');
      while (last.code === 250 && Date.now() - started < 3000) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        last = await client.command('NOOP').catch(() => ({ code: 0, lines: [], text: 'closed' }));
      }
      assert.equal(last.code, 421, last.text);
      assert.match(last.text, /Session time limit/);
      assert.ok(Date.now() - started < 2500);
    } finally {
      client.destroy();
      await h.close();
    }
  });

  it('on stop, lets a message being accepted finish with its 250 before closing', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let entered: () => void = () => undefined;
    const inAccept = new Promise<void>((resolve) => {
      entered = resolve;
    });
    const h = await startListener({
      accept: async (arrival) => {
        const folder = await IncomingFolder.create(path.join(h.dataRoot));
        await arrival.writeFiles(folder);
        entered();
        await gate;
        await folder.discard();
        return { job: { id: randomUUID(), customer: arrival.customer, status: 'queued' } as JobRow, duplicate: false };
      },
    });
    const { client } = await RawSmtpClient.connect(h.port);
    await client.startData({ from: 'a@b.example', to: [BOB] });
    await client.write('Subject: slow\r\n\r\nslow\r\n.\r\n');
    await inAccept;
    const stopping = h.close();
    await new Promise((resolve) => setTimeout(resolve, 200));
    release();
    const reply = await client.reply();
    assert.equal(reply.code, 250, reply.text);
    await stopping;
    assert.equal(
      await RawSmtpClient.connect(h.port).then(
        () => 'connected',
        () => 'refused',
      ),
      'refused',
    );
    client.destroy();
  });

  it('keeps the original client address behind a trusted relay (XCLIENT) and refuses XCLIENT from others', async () => {
    const trusted = await startListener({ smtp: { trustedRelays: ['127.0.0.1'] } });
    try {
      const { client } = await RawSmtpClient.connect(trusted.port);
      expectCode(await client.command('EHLO relay.test'), 250);
      expectCode(await client.command('XCLIENT ADDR=203.0.113.9 NAME=sender.example'), 220);
      const reply = await deliver(client, { from: 'a@b.example', to: [BOB], body: 'Subject: relayed\r\n\r\nvia postfix' });
      assert.equal(reply.code, 250, reply.text);
      assert.equal(trusted.accepted[0]?.arrival.sourceRef?.remoteAddress, '203.0.113.9');
      assert.equal(trusted.accepted[0]?.arrival.sourceRef?.relayAddress, '127.0.0.1');
      await client.quit();
    } finally {
      await trusted.close();
    }
    const untrusted = await startListener();
    try {
      const { client } = await RawSmtpClient.connect(untrusted.port);
      expectCode(await client.command('EHLO relay.test'), 250);
      assert.ok((await client.command('XCLIENT ADDR=203.0.113.9')).code >= 500);
      await client.quit();
    } finally {
      await untrusted.close();
    }
  });

  it('offers STARTTLS and AUTH only when configured; a user bound to a customer delivers only there, without the allow-list', async function () {
    const dir = await makeDataRoot();
    try {
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'rsa:2048',
          '-nodes',
          '-keyout',
          path.join(dir, 'key.pem'),
          '-out',
          path.join(dir, 'cert.pem'),
          '-days',
          '1',
          '-subj',
          '/CN=localhost',
        ],
        { stdio: 'ignore' },
      );
    } catch {
      this.skip();
    }
    const plain = await startListener();
    try {
      const { client } = await RawSmtpClient.connect(plain.port);
      const ehlo = await client.command('EHLO client.test');
      assert.ok(!ehlo.lines.some((line) => /^(STARTTLS|AUTH)/.test(line)), ehlo.text);
      await client.quit();
    } finally {
      await plain.close();
    }
    const passwordSha256 = createHash('sha256').update('s3cret-krusty').digest('hex');
    const h = await startListener({
      smtp: {
        tls: { certFile: path.join(dir, 'cert.pem'), keyFile: path.join(dir, 'key.pem') },
        auth: {
          enabled: true,
          users: [
            { username: 'krusty', passwordSha256, customer: 'krusty_krab' },
            { username: 'ops', passwordSha256, customer: null },
          ],
        },
        // Neither applies to an authenticated session: its password is the proof.
        requireSenderAllowList: true,
      },
    });
    const transport = (pass: string, user = 'krusty') =>
      nodemailer.createTransport({
        host: '127.0.0.1',
        port: h.port,
        secure: false,
        requireTLS: true,
        tls: { rejectUnauthorized: false },
        auth: { user, pass },
      });
    try {
      const info = await transport('s3cret-krusty').sendMail({
        envelope: { from: 'anyone@elsewhere.example', to: [`krusty_krab@${INGEST_DOMAIN}`] },
        raw: 'Subject: authed\r\n\r\nhi\r\n',
      });
      assert.match(info.response, /^250 /);
      assert.equal(h.accepted[0]?.arrival.sourceRef?.authenticatedAs, 'krusty');
      assert.equal(h.accepted[0]?.arrival.sourceRef?.secure, true);
      const ops = await transport('s3cret-krusty', 'ops').sendMail({
        envelope: { from: 'anyone@elsewhere.example', to: [BOB, `strict_co@${INGEST_DOMAIN}`] },
        raw: 'Subject: no allow-list, no Authentication-Results\r\n\r\nhi\r\n',
      });
      assert.match(ops.response, /^250 /, 'past requireSenderAllowList and requireSenderAuth');
      assert.deepEqual(
        h.accepted
          .slice(1)
          .map((entry) => entry.arrival.customer)
          .sort(),
        ['bobs_burgers', 'strict_co'],
      );
      await assert.rejects(
        transport('s3cret-krusty').sendMail({ envelope: { from: 'a@b.example', to: [BOB] }, raw: 'Subject: x\r\n\r\nx\r\n' }),
        (error: { responseCode?: number }) => error.responseCode === 550,
      );
      await assert.rejects(
        transport('wrong').sendMail({ envelope: { from: 'a@b.example', to: [BOB] }, raw: 'Subject: x\r\n\r\nx\r\n' }),
        (error: { responseCode?: number }) => error.responseCode === 535,
      );
    } finally {
      await h.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
