import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../../src/config/config-schema.js';
import { addCustomer, updateCustomer } from '../../src/db/customers-repository.js';
import { findJob } from '../../src/db/jobs-repository.js';
import { migrateToLatest } from '../../src/db/migrate-to-latest.js';
import { senderSecurityCheck } from '../../src/http/ops/sender-security-check.js';
import { startService, type RunningService } from '../../src/main.js';
import { echoModule } from '../support/echo-module.js';
import { apiClient } from '../support/http-client.js';
import { RawSmtpClient, expectCode } from '../support/raw-smtp-client.js';
import { ServiceDatabase } from '../support/service-database.js';
import { INGEST_DOMAIN, jobIdsIn, readManifest, sendWithNodemailer, toWire } from '../support/smtp-test-helpers.js';
import { makeTestConfig } from '../support/test-config.js';

const MX = 'mx.hview.example';
const GRID = 'grid@grid.example';
const OPEN = `open_co@${INGEST_DOMAIN}`;
const STRICT = `strict_co@${INGEST_DOMAIN}`;
const LOCKED = `locked_co@${INGEST_DOMAIN}`;

/** A unique mail (the content hash names the job) with the given Authentication-Results lines on top. */
function mail(authenticationResults: readonly string[], body = 'hello'): string {
  const id = randomUUID();
  return toWire(
    [
      ...authenticationResults.map((value) => `Authentication-Results: ${value}`),
      `From: ${GRID}`,
      `Subject: report ${id}`,
      `Message-ID: <${id}@grid.example>`,
      '',
      body,
    ].join('\n'),
  );
}

const verdicts = (dmarc: string, authservId = MX) =>
  `${authservId}; spf=pass smtp.mailfrom=grid.example; dkim=pass header.d=grid.example; dmarc=${dmarc} header.from=grid.example`;

describe('sender security (issue #15): allow-lists required, Authentication-Results recorded and required (real SMTP, real PostgreSQL)', function () {
  this.timeout(60_000);
  let database: ServiceDatabase;

  before(async () => {
    database = await ServiceDatabase.create();
    await migrateToLatest(database.db);
    await addCustomer(database.db, { slug: 'open_co', name: 'Open' });
    await addCustomer(database.db, { slug: 'gone_co', name: 'Gone' });
    await updateCustomer(database.db, 'gone_co', { disabled: true });
    await addCustomer(database.db, { slug: 'locked_co', name: 'Locked', allowedSenders: ['@grid.example'] });
    await addCustomer(database.db, { slug: 'strict_co', name: 'Strict', allowedSenders: ['@grid.example'], requireSenderAuth: 'dmarc' });
  });
  after(async () => {
    await database?.close();
  });

  async function start(smtp: Record<string, unknown>): Promise<RunningService> {
    const config: Config = makeTestConfig({
      databaseUrl: database.url,
      dataRoot: database.dataRoot,
      overrides: { worker: { enabled: false }, smtp: { customerCacheSeconds: 0, ...smtp } },
    });
    return startService({ config, modules: [echoModule], logToConsole: false });
  }

  async function senderWarnings(service: RunningService): Promise<Array<{ level: string; message: string; withoutAllowList: string[] }>> {
    const log = await readFile(path.join(service.config.logDir, 'dataprocessor_main.log'), 'utf8');
    return log
      .split('\n')
      .filter((line) => line.includes('sender security'))
      .map((line) => JSON.parse(line) as { level: string; message: string; withoutAllowList: string[] });
  }

  describe('by default (seed-compatible): any sender, verdicts recorded', () => {
    let service: RunningService;
    let port: number;

    before(async () => {
      // The test client plays the local Postfix: headers count only from a trusted relay.
      service = await start({ trustedAuthservIds: [MX], trustedRelays: ['127.0.0.1'] });
      port = service.smtpAddress!.port;
    });
    after(async () => {
      await service?.stop();
    });

    it('warns once at start-up about the enabled customers that accept any sender', async () => {
      const warnings = await senderWarnings(service);
      assert.equal(warnings.length, 1, JSON.stringify(warnings));
      assert.equal(warnings[0]!.level, 'warn');
      assert.equal(warnings[0]!.message, 'sender security: customers accepting any sender (no sender allow-list): open_co');
      assert.deepEqual(warnings[0]!.withoutAllowList, ['open_co'], 'the disabled customer refuses everything anyway');
    });

    it('stays ready and shows the detail on /readyz', async () => {
      const ready = await apiClient(service.httpUrl!, null).get('/readyz');
      assert.equal(ready.status, 200);
      assert.equal(ready.body.status, 'ready');
      assert.deepEqual(ready.body.checks.senders, {
        ok: true,
        requireSenderAllowList: false,
        withoutAllowList: 1,
        warning: 'customers accepting any sender (no sender allow-list): open_co',
      });
    });

    it("records a trusted header's verdicts on the job and in manifest.json, and flags an untrusted one without taking its verdicts", async () => {
      const sent = await sendWithNodemailer({ port, from: GRID, to: [OPEN], raw: mail([verdicts('fail'), verdicts('pass', 'attacker.example')]) });
      assert.equal(sent.code, 250, sent.response);
      const job = await findJob(database.db, sent.jobIds[0]!);
      const authentication = (job?.source_ref as { authentication?: Record<string, unknown> }).authentication;
      assert.deepEqual(authentication, {
        authservId: MX,
        spf: 'pass',
        dkim: 'pass',
        dmarc: 'fail',
        headers: [
          { authservId: MX, trusted: true, spf: 'pass', dkim: 'pass', dmarc: 'fail', header: verdicts('fail') },
          { authservId: 'attacker.example', trusted: false, spf: 'pass', dkim: 'pass', dmarc: 'pass', header: verdicts('pass', 'attacker.example') },
        ],
      });
      await service.spool?.settled(15_000);
      const manifest = await readManifest(path.join(database.dataRoot, 'inbox', job!.relative_path));
      assert.deepEqual(manifest.sourceRef.authentication, authentication);

      const forged = await sendWithNodemailer({ port, from: GRID, to: [OPEN], raw: mail([verdicts('pass', 'attacker.example')]) });
      assert.equal(forged.code, 250, forged.response);
      const forgedJob = await findJob(database.db, forged.jobIds[0]!);
      const recorded = (forgedJob?.source_ref as { authentication: Record<string, unknown> }).authentication;
      assert.equal(recorded.authservId, null, 'no trusted header');
      assert.equal(recorded.dmarc, undefined, 'an untrusted pass is no verdict');
      assert.deepEqual(
        (recorded.headers as Array<{ trusted: boolean }>).map((header) => header.trusted),
        [false],
      );
    });

    it('refuses after DATA with 550 5.7.1, and no job, a mail to a customer requiring DMARC that fails it; a pass is accepted', async () => {
      const before = await database.db.selectFrom('jobs').select('id').where('customer', '=', 'strict_co').execute();
      const failed = await sendWithNodemailer({ port, from: GRID, to: [STRICT], raw: mail([verdicts('fail')]) });
      assert.equal(failed.code, 550, failed.response);
      assert.match(
        failed.response,
        new RegExp(
          `^550 5\\.7\\.1 a recipient accepts only mail with a DMARC pass from a trusted Authentication-Results header; found dmarc=fail from ${MX.replaceAll('.', '\\.')}$`,
        ),
      );
      const untrusted = await sendWithNodemailer({ port, from: GRID, to: [STRICT], raw: mail([verdicts('pass', 'attacker.example')]) });
      assert.equal(untrusted.code, 550, untrusted.response);
      assert.match(untrusted.response, /found no trusted Authentication-Results header$/);
      const bare = await sendWithNodemailer({ port, from: GRID, to: [STRICT, OPEN], raw: mail([]) });
      assert.equal(bare.code, 550, 'one reply for all recipients: the whole message is refused');
      assert.deepEqual(await database.db.selectFrom('jobs').select('id').where('customer', '=', 'strict_co').execute(), before, 'never a job before a 550');

      const passed = await sendWithNodemailer({ port, from: GRID, to: [STRICT], raw: mail([verdicts('pass')]) });
      assert.equal(passed.code, 250, passed.response);
      const job = await findJob(database.db, passed.jobIds[0]!);
      assert.equal(job?.customer, 'strict_co');
      assert.equal((job?.source_ref as { authentication: { dmarc: string } }).authentication.dmarc, 'pass');
    });

    it('refuses a large (streamed, not spooled) message on its header, drains it, and the session goes on', async () => {
      const big = 'x'.repeat(76) + '\r\n';
      const body = big.repeat(Math.ceil((400 * 1024) / big.length));
      const { client } = await RawSmtpClient.connect(port);
      try {
        await client.startData({ from: GRID, to: [STRICT] });
        await client.write(`${mail([verdicts('fail')], body)}.\r\n`);
        const refused = await client.reply();
        assert.equal(refused.code, 550, refused.text);
        await client.startData({ from: GRID, to: [STRICT] });
        await client.write(`${mail([verdicts('pass')], body)}.\r\n`);
        const accepted = expectCode(await client.reply(), 250);
        assert.equal(jobIdsIn(accepted.text).length, 1);
      } finally {
        await client.quit();
      }
      // Spooled arrivals of the earlier tests are `staging` until the drain writes their folders, a
      // moment after their 250: wait for that, then nothing may be left half-staged.
      let staging = -1;
      for (const deadline = Date.now() + 15_000; staging !== 0 && Date.now() < deadline; await new Promise((resolve) => setTimeout(resolve, 100))) {
        const rows = await database.db.selectFrom('jobs').select('status').where('customer', '=', 'strict_co').execute();
        staging = rows.filter((job) => job.status === 'staging').length;
      }
      assert.equal(staging, 0, 'nothing half-staged');
    });

    it('reads /readyz detail fresh enough: a cached answer, then the change', async () => {
      let clock = 0;
      const check = senderSecurityCheck({
        db: database.db,
        smtp: { requireSenderAllowList: false, trustedAuthservIds: [MX] },
        timeoutMs: 2000,
        now: () => clock,
      });
      assert.equal((await check()).withoutAllowList, 1);
      await updateCustomer(database.db, 'open_co', { allowedSenders: ['@grid.example'] });
      try {
        assert.equal((await check()).withoutAllowList, 1, 'cached');
        clock += 10_000;
        const fresh = await check();
        assert.deepEqual(fresh, { ok: true, requireSenderAllowList: false, withoutAllowList: 0 });
      } finally {
        await updateCustomer(database.db, 'open_co', { allowedSenders: [] });
      }
    });
  });

  describe('with smtp.requireSenderAllowList, and a client that is not a trusted relay', () => {
    let service: RunningService;
    let port: number;

    before(async () => {
      service = await start({ requireSenderAllowList: true, trustedAuthservIds: [MX] });
      port = service.smtpAddress!.port;
    });
    after(async () => {
      await service?.stop();
    });

    it('refuses mail to a customer without an allow-list at RCPT TO with 550 5.7.1 saying so; listed senders still deliver', async () => {
      const { client } = await RawSmtpClient.connect(port);
      try {
        expectCode(await client.command('EHLO client.test'), 250);
        expectCode(await client.command(`MAIL FROM:<${GRID}>`), 250);
        const refused = await client.command(`RCPT TO:<${OPEN}>`);
        assert.equal(refused.code, 550);
        assert.equal(refused.text, `5.7.1 recipient <${OPEN}> has no sender allow-list, and this server takes mail only from listed senders`);
      } finally {
        await client.quit();
      }
      const sent = await sendWithNodemailer({ port, from: GRID, to: [LOCKED], raw: mail([]) });
      assert.equal(sent.code, 250, sent.response);
    });

    it('says at start-up and on /readyz which customers now refuse all mail, and stays ready', async () => {
      const expected = 'customers refusing all mail (no sender allow-list, and smtp.requireSenderAllowList is on): open_co';
      const warnings = await senderWarnings(service);
      assert.equal(warnings.at(-1)?.message, `sender security: ${expected}`);
      const ready = await apiClient(service.httpUrl!, null).get('/readyz');
      assert.equal(ready.status, 200);
      assert.deepEqual(ready.body.checks.senders, { ok: true, requireSenderAllowList: true, withoutAllowList: 1, warning: expected });
    });

    it('believes no header from a client that connected directly, whatever authserv-id it names', async () => {
      const sent = await sendWithNodemailer({ port, from: GRID, to: [STRICT], raw: mail([verdicts('pass')]) });
      assert.equal(sent.code, 550, sent.response);
      assert.match(sent.response, /found no trusted Authentication-Results header$/);
      const recorded = await sendWithNodemailer({ port, from: GRID, to: [LOCKED], raw: mail([verdicts('pass')]) });
      assert.equal(recorded.code, 250, recorded.response);
      const job = await findJob(database.db, recorded.jobIds[0]!);
      const authentication = (job?.source_ref as { authentication: { authservId: string | null; dmarc?: string; headers: Array<{ trusted: boolean }> } })
        .authentication;
      assert.deepEqual([authentication.authservId, authentication.dmarc, authentication.headers[0]?.trusted], [null, undefined, false]);
    });
  });
});
