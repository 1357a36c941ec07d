import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { addCustomer } from '../../src/db/customers-repository.js';
import { findJob } from '../../src/db/jobs-repository.js';
import { startTestService, type TestService } from '../support/start-test-service.js';
import { RawSmtpClient, expectCode } from '../support/raw-smtp-client.js';
import {
  INGEST_DOMAIN,
  fixtureMessage,
  incomingLeftovers,
  jobCount,
  readManifest,
  sendWithNodemailer as sendOnly,
  toWire,
} from '../support/smtp-test-helpers.js';

const BOB = `bobs_burgers@${INGEST_DOMAIN}`;
const SENDER = 'hydrastor@icecream-machine.example';
const FIXTURES = [
  'system_report.eml',
  'system_report_zip.eml',
  'system_report_body_only.eml',
  'alert_disk_failure.eml',
  'alert_recovered.eml',
  'alert_grid_capacity.eml',
  'unclassified.eml',
];

describe('SMTP listener (real server, real client, real PostgreSQL)', function () {
  this.timeout(20_000);
  let t: TestService;
  let port: number;

  before(async () => {
    t = await startTestService({ overrides: { worker: { enabled: false }, smtp: { customerCacheSeconds: 0 } } });
    const address = t.service.smtpAddress;
    assert.ok(address !== null, 'the service exposes its SMTP address');
    port = address.port;
    await addCustomer(t.service.database.db, { slug: 'krusty_krab', name: 'Krusty Krab', ingestAddresses: ['Reports@Krusty.example'] });
    await addCustomer(t.service.database.db, { slug: 'locked_co', name: 'Locked', allowedSenders: ['@hydrastor.example', 'ops@locked.example'] });
  });
  after(async () => {
    await t?.stop();
  });

  /** Sends, then waits until the spool has written the job folders of what it acknowledged. */
  async function sendWithNodemailer(args: Parameters<typeof sendOnly>[0]): ReturnType<typeof sendOnly> {
    const sent = await sendOnly(args);
    await t.settled();
    return sent;
  }

  async function inboxFolder(jobId: string): Promise<string> {
    await t.settled();
    const job = await findJob(t.service.database.db, jobId);
    assert.ok(job !== undefined, `job ${jobId} exists`);
    return path.join(t.dataRoot, 'inbox', job.relative_path);
  }

  it('accepts every fixture with 250 and its job id, keeping message.eml byte for byte plus bodies, attachments and manifest', async () => {
    for (const name of FIXTURES) {
      const raw = await fixtureMessage(name);
      const sent = await sendWithNodemailer({ port, from: SENDER, to: [BOB], raw });
      assert.equal(sent.code, 250, `${name}: ${sent.response}`);
      assert.equal(sent.jobIds.length, 1, sent.response);
      const jobId = sent.jobIds[0]!;
      const job = await findJob(t.service.database.db, jobId);
      assert.equal(job?.customer, 'bobs_burgers');
      assert.equal(job?.source, 'smtp');
      // No HYDRAstor module is registered in this test service: kept, visible, unclassified.
      assert.equal(job?.status, 'unclassified', name);
      assert.match(job?.relative_path ?? '', /^bobs_burgers\/unclassified\/smtp\/none\/\d{8}_\d{6}(_\d+)?$/);
      const folder = await inboxFolder(jobId);
      assert.deepEqual(await readFile(path.join(folder, 'message.eml')), raw, `${name}: stored exactly as sent`);
      const manifest = await readManifest(folder);
      const names = manifest.files.map((file) => file.name);
      assert.equal(names[0], 'message.eml');
      assert.ok(names.includes('body.txt'), `${name} has a text body`);
      assert.deepEqual((await readdir(folder)).sort(), [...names, 'manifest.json'].sort());
      assert.equal(manifest.sourceRef.mailFrom, SENDER);
      assert.deepEqual(manifest.sourceRef.rcptTo, [BOB]);
      assert.equal(manifest.sourceRef.remoteAddress, '127.0.0.1');
      assert.ok(manifest.hints.subject !== undefined && !manifest.hints.subject.includes('\n'));
    }
    const report = await readManifest(
      await inboxFolder((await sendWithNodemailer({ port, from: SENDER, to: [BOB], raw: await fixtureMessage('system_report.eml') })).jobIds[0]!),
    );
    const attachment = report.files.find((file) => file.role === 'attachment');
    assert.equal(attachment?.name, 'attachment-1.bin');
    assert.equal(attachment?.originalName, 'HSSysReport_8A5-000123_20230113T120000+0900.tar.gz');
    assert.equal(attachment?.contentType, 'application/gzip');
    assert.equal(report.hints.subject, '[HYDRAstor] System Report: icecream_machine (S/N 8A5-000123) 2023-01-13', 'folded subject unfolded');
    assert.equal(report.hints.date, '2023-01-13T03:00:05.000Z');
    assert.equal(report.hints.messageId, '<20230113T120000+0900.8A5-000123.sysreport@icecream-machine.example>');
  });

  it('classifies by the modules\' rules: the echo module claims an "[echo]" subject', async () => {
    const raw = toWire(`From: <${SENDER}>\nTo: <${BOB}>\nSubject: [echo] hello\nMessage-ID: <echo.1@test>\n\n{"rows":1}\n`);
    const sent = await sendWithNodemailer({ port, from: SENDER, to: [BOB], raw });
    assert.equal(sent.code, 250, sent.response);
    const job = await findJob(t.service.database.db, sent.jobIds[0]!);
    assert.equal(`${job?.category}/${job?.type}/${job?.group_name}`, 'test/echo/default');
    assert.equal(job?.status, 'queued');
  });

  it('gives the same job for the same bytes delivered twice (a lost 250), with one row', async () => {
    const raw = toWire(`Subject: twice\nMessage-ID: <twice@test>\n\nsame bytes\n`);
    const before = await jobCount(t);
    const first = await sendWithNodemailer({ port, from: SENDER, to: [BOB], raw });
    const second = await sendWithNodemailer({ port, from: SENDER, to: [BOB], raw });
    assert.equal(first.code, 250);
    assert.equal(second.code, 250);
    assert.deepEqual(second.jobIds, first.jobIds);
    assert.equal(await jobCount(t), before + 1);
    assert.deepEqual(await incomingLeftovers(t), []);
  });

  it('makes one job per customer when one transaction names two customers (and one per customer, not per address)', async () => {
    const raw = toWire(`Subject: shared\nMessage-ID: <shared@test>\n\nfor two customers\n`);
    const sent = await sendWithNodemailer({ port, from: SENDER, to: [BOB, `alias+bobs_burgers@${INGEST_DOMAIN}`, 'reports@krusty.example'], raw });
    assert.equal(sent.code, 250, sent.response);
    assert.equal(sent.jobIds.length, 2, sent.response);
    const jobs = await Promise.all(sent.jobIds.map((id) => findJob(t.service.database.db, id)));
    assert.deepEqual(
      jobs.map((job) => job?.customer),
      ['bobs_burgers', 'krusty_krab'],
    );
    const folders = await Promise.all(sent.jobIds.map(inboxFolder));
    for (const folder of folders) assert.deepEqual(await readFile(path.join(folder, 'message.eml')), Buffer.from(raw));
    assert.deepEqual((await readManifest(folders[0]!)).sourceRef.rcptTo, [BOB, `alias+bobs_burgers@${INGEST_DOMAIN}`]);
    assert.deepEqual((await readManifest(folders[1]!)).sourceRef.rcptTo, ['reports@krusty.example']);
  });

  it('refuses unknown local recipients (550 5.1.1), other domains (550 5.7.1) and disallowed senders (550 5.7.1)', async () => {
    const { client } = await RawSmtpClient.connect(port);
    try {
      expectCode(await client.command('EHLO client.test'), 250);
      expectCode(await client.command('MAIL FROM:<someone@elsewhere.example>'), 250);
      const unknown = await client.command(`RCPT TO:<nobody@${INGEST_DOMAIN}>`);
      assert.equal(unknown.code, 550);
      assert.match(unknown.text, /^5\.1\.1 /);
      const relay = await client.command('RCPT TO:<victim@gmail.example>');
      assert.equal(relay.code, 550);
      assert.match(relay.text, /^5\.7\.1 /);
      const locked = await client.command(`RCPT TO:<locked_co@${INGEST_DOMAIN}>`);
      assert.equal(locked.code, 550);
      assert.match(locked.text, /^5\.7\.1 sender <someone@elsewhere\.example> is not allowed/);
      expectCode(await client.command('RSET'), 250);
      expectCode(await client.command('MAIL FROM:<Ops@Locked.example>'), 250);
      expectCode(await client.command(`RCPT TO:<locked_co@${INGEST_DOMAIN}>`), 250);
      expectCode(await client.command('RSET'), 250);
      expectCode(await client.command('MAIL FROM:<>'), 250);
      assert.equal((await client.command(`RCPT TO:<locked_co@${INGEST_DOMAIN}>`)).code, 550, 'the null sender is not on any allow-list');
    } finally {
      await client.quit();
    }
    const viaClient = await sendWithNodemailer({ port, from: SENDER, to: [`nobody@${INGEST_DOMAIN}`], raw: 'Subject: x\r\n\r\nx\r\n' });
    assert.equal(viaClient.code, 550);
  });

  it('refuses a declared SIZE over the limit at MAIL FROM with 552, before any 354', async () => {
    const { client } = await RawSmtpClient.connect(port);
    try {
      const ehlo = expectCode(await client.command('EHLO client.test'), 250);
      assert.ok(ehlo.lines.includes(`SIZE ${t.config.smtp.maxMessageBytes}`), 'SIZE is advertised');
      const mail = await client.command(`MAIL FROM:<${SENDER}> SIZE=${t.config.smtp.maxMessageBytes + 1}`);
      assert.equal(mail.code, 552);
      assert.equal((await client.command('DATA')).code, 503, 'no transaction was started');
    } finally {
      await client.quit();
    }
  });

  it('stops writing a 51 MiB message at the limit, answers 552 5.3.4 after the dot, leaves nothing on disk and keeps the session usable', async () => {
    const before = await jobCount(t);
    const { client } = await RawSmtpClient.connect(port);
    try {
      await client.startData({ from: SENDER, to: [BOB] });
      const line = `${'x'.repeat(998)}\r\n`;
      const chunk = Buffer.from(`Subject: big\r\n\r\n${line.repeat(1024)}`);
      const mib = 1024 * 1024;
      let peakIncomingBytes = 0;
      for (let sent = 0; sent < 51 * mib; sent += chunk.length) {
        await client.write(chunk);
        if (sent % (8 * mib) < chunk.length) peakIncomingBytes = Math.max(peakIncomingBytes, await incomingBytes(t));
      }
      await client.write('.\r\n');
      const reply = await client.reply(20_000);
      assert.equal(reply.code, 552);
      assert.match(reply.text, /^5\.3\.4 /);
      assert.ok(peakIncomingBytes <= t.config.smtp.maxMessageBytes + mib, `staged at most the limit (${peakIncomingBytes})`);
      assert.deepEqual(await incomingLeftovers(t), []);
      assert.equal(await jobCount(t), before);

      expectCode(await client.command(`MAIL FROM:<${SENDER}>`), 250);
      expectCode(await client.command(`RCPT TO:<${BOB}>`), 250);
      expectCode(await client.command('DATA'), 354);
      const small = await client.command('Subject: small after big\r\n\r\nok\r\n.');
      assert.equal(small.code, 250, small.text);
    } finally {
      await client.quit();
    }
  });

  it('stores hostile attachment names only as cleaned data, under generated names', async () => {
    const longName = `${'n'.repeat(4996)}.txt`;
    const continuation = Array.from({ length: 50 }, (_, index) => ` filename*${index}="${longName.slice(index * 100, index * 100 + 100)}"`).join(';\r\n');
    const raw = [
      'Subject: hostile names',
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="b"',
      '',
      '--b',
      'Content-Type: text/plain',
      '',
      'see attached',
      '',
      '--b',
      'Content-Type: application/octet-stream',
      'Content-Disposition: attachment; filename="../../etc/passwd"',
      '',
      'root:x:0:0',
      '',
      '--b',
      'Content-Type: text/plain',
      "Content-Disposition: attachment; filename*=utf-8''a%00b%0D%0ABcc%3A%20x%40y.txt",
      '',
      'nul',
      '',
      '--b',
      'Content-Type: text/plain',
      `Content-Disposition: attachment;\r\n${continuation}`,
      '',
      'long',
      '',
      '--b',
      'Content-Type: text/plain',
      'Content-Disposition: attachment; filename="invoice\u202Efdp.exe"',
      '',
      'rtlo',
      '',
      '--b--',
      '',
    ].join('\r\n');
    const sent = await sendWithNodemailer({ port, from: SENDER, to: [BOB], raw });
    assert.equal(sent.code, 250, sent.response);
    const folder = await inboxFolder(sent.jobIds[0]!);
    const manifest = await readManifest(folder);
    const attachments = manifest.files.filter((file) => file.role === 'attachment');
    assert.deepEqual(
      attachments.map((file) => file.name),
      ['attachment-1.bin', 'attachment-2.bin', 'attachment-3.bin', 'attachment-4.bin'],
    );
    assert.equal(attachments[0]?.originalName, '../../etc/passwd', 'kept as data, never a path');
    assert.equal(attachments[1]?.originalName, 'abBcc: x@y.txt', 'NUL, CR and LF removed');
    assert.ok(Buffer.byteLength(attachments[2]?.originalName ?? '') <= 255);
    assert.ok(attachments[2]?.originalName?.startsWith('nnnn'));
    assert.equal(attachments[3]?.originalName, 'invoicefdp.exe', 'the right-to-left override is removed');
    assert.equal(await readFile(path.join(folder, 'attachment-1.bin'), 'utf8'), 'root:x:0:0\r\n');
    assert.equal(attachments[0]?.sha256, createHash('sha256').update('root:x:0:0\r\n').digest('hex'));
    assert.deepEqual((await readdir(folder)).sort(), [
      'attachment-1.bin',
      'attachment-2.bin',
      'attachment-3.bin',
      'attachment-4.bin',
      'body.txt',
      'manifest.json',
      'message.eml',
    ]);
    assert.equal(existsSync(path.join(t.dataRoot, 'inbox', 'etc')), false);
  });

  it('leaves no job and no file when the client disconnects mid-DATA', async () => {
    const before = await jobCount(t);
    const { client } = await RawSmtpClient.connect(port);
    await client.startData({ from: SENDER, to: [BOB] });
    await client.write(`Subject: cut off\r\n\r\n${'half of a body\r\n'.repeat(20_000)}`);
    client.destroy();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    assert.equal(await jobCount(t), before);
    assert.deepEqual(await incomingLeftovers(t), []);
  });

  it('ends DATA only at <CRLF>.<CRLF>: smuggling payloads (\\n.\\r\\n, \\r.\\r\\n) stay inside one stored message', async () => {
    for (const [label, fakeEnd] of [
      ['LF.CRLF', '\n.\r\n'],
      ['CR.CRLF', '\r.\r\n'],
    ] as const) {
      const before = await jobCount(t);
      const { client } = await RawSmtpClient.connect(port);
      try {
        await client.startData({ from: SENDER, to: [BOB] });
        const smuggled = `MAIL FROM:<evil@attacker.example>\r\nRCPT TO:<${BOB}>\r\nDATA\r\nSubject: smuggled\r\n\r\nevil\r\n`;
        const body = `Subject: smuggling ${label}\r\n\r\nhello${fakeEnd}${smuggled}`;
        await client.write(`${body}.\r\n`);
        const reply = await client.reply();
        assert.equal(reply.code, 250, `${label}: ${reply.text}`);
        expectCode(await client.command('NOOP'), 250);
        assert.equal(await jobCount(t), before + 1, `${label}: exactly one message`);
        const folder = await inboxFolder(reply.text.match(/queued as (\S+)/)?.[1] ?? '');
        assert.equal(await readFile(path.join(folder, 'message.eml'), 'latin1'), body, `${label}: the payload is content`);
      } finally {
        await client.quit();
      }
    }
  });

  it('answers 451 (never 250, never 5xx) when the database is unavailable during DATA, and keeps nothing', async () => {
    const before = await jobCount(t);
    const name = new URL(t.database.url).pathname.slice(1);
    const { client } = await RawSmtpClient.connect(port);
    try {
      await client.startData({ from: SENDER, to: [BOB] });
      await asAdmin(t, [`ALTER DATABASE ${name} ALLOW_CONNECTIONS false`, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${name}'`]);
      const reply = await client.command('Subject: db down\r\n\r\nwhile the database is away\r\n.');
      assert.equal(reply.code, 451, reply.text);
      assert.match(reply.text, /^4\.3\.0 /);
    } finally {
      await client.quit();
      await asAdmin(t, [`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`]);
    }
    assert.equal(await jobCount(t), before);
    assert.deepEqual(await incomingLeftovers(t), []);
  });
});

async function incomingBytes(t: TestService): Promise<number> {
  const root = path.join(t.dataRoot, 'inbox', '.incoming');
  let total = 0;
  for (const folder of await readdir(root).catch(() => [] as string[])) {
    for (const file of await readdir(path.join(root, folder)).catch(() => [] as string[])) {
      total += (await import('node:fs/promises').then((fs) => fs.stat(path.join(root, folder, file)).catch(() => ({ size: 0 })))).size;
    }
  }
  return total;
}

/** Runs statements on the server's maintenance database, outside the service's pool. */
async function asAdmin(t: TestService, statements: readonly string[]): Promise<void> {
  const pg = await import('pg');
  const adminUrl = new URL(t.database.url);
  adminUrl.pathname = '/postgres';
  const admin = new pg.default.Client({ connectionString: adminUrl.toString() });
  await admin.connect();
  try {
    for (const statement of statements) await admin.query(statement);
  } finally {
    await admin.end();
  }
}
