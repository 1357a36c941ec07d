import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile, readdir, rm } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import pg from 'pg';
import type { JobRow } from '../../../src/db/database-schema.js';
import { addCustomer } from '../../../src/db/customers-repository.js';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../../src/db/embedded-postgres.js';
import { findJob } from '../../../src/db/jobs-repository.js';
import { Logging } from '../../../src/logging/logging.js';
import { startService, type RunningService } from '../../../src/main.js';
import { sanitizeSegment } from '../../../src/pipeline/paths.js';
import { INGEST_DOMAIN, sendWithNodemailer, toWire, type SendResult } from '../../support/smtp-test-helpers.js';
import { echoModule } from '../../support/echo-module.js';
import { makeDataRoot, makeTestConfig } from '../../support/test-config.js';
import { readJobManifest } from '../../../src/db/job-manifest.js';

const NODE = 'outage node';
const CUSTOMER = 'outage_co';
const SENDER = 'alerts@outage.example';
/** How soon after the database is back every acknowledged arrival must have left `staging`. */
const BACK_WITHIN_MS = 5000;

function message(tag: string): Buffer {
  return Buffer.from(
    toWire(
      [
        `From: ${SENDER}`,
        `To: ${CUSTOMER}@${INGEST_DOMAIN}`,
        `Subject: outage ${tag}`,
        `Message-ID: <${tag}.${randomBytes(6).toString('hex')}@outage.example>`,
        'Date: Tue, 05 Mar 2024 10:00:00 +0000',
        'MIME-Version: 1.0',
        'Content-Type: text/plain; charset=utf-8',
        '',
        `Body of ${tag}: ${randomBytes(12).toString('hex')}`,
        '',
      ].join('\n'),
    ),
  );
}

/** A port nobody listens on now (PostgreSQL cannot take port 0, and must come back on the same one). */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function waitUntil(condition: () => boolean | Promise<boolean>, what: string, timeoutMs: number): Promise<number> {
  const started = Date.now();
  while (!(await condition())) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return Date.now() - started;
}

/**
 * The operator's case: PostgreSQL restarts while the spool holds acknowledged mail. Its own
 * embedded server (never the machine's), stopped and started again on the same port.
 */
describe('spool after a database outage (its own real PostgreSQL, stopped and started again)', function () {
  this.timeout(90_000);
  let pgRoot: string;
  let dataRoot: string;
  let logging: Logging;
  let port: number;
  let server: EmbeddedDatabase | undefined;
  let service: RunningService | undefined;
  let blocker: pg.Client | undefined;

  before(async () => {
    pgRoot = await makeDataRoot();
    dataRoot = await makeDataRoot();
    logging = new Logging({ logDir: path.join(pgRoot, 'log'), level: 'warn', console: false });
    port = await freePort();
    server = await startEmbeddedPostgres({ dataRoot: pgRoot, port, logger: logging.for('test-db') });
  });
  after(async () => {
    await blocker?.end().catch(() => undefined);
    await service?.stop();
    await server?.stop();
    await logging?.close();
    for (const root of [pgRoot, dataRoot]) if (root !== undefined) await rm(root, { recursive: true, force: true });
  });

  /** The running service, its spool and a few helpers over real SMTP. */
  async function running(): Promise<{
    service: RunningService;
    spool: NonNullable<RunningService['spool']>;
    send(raw: Buffer): Promise<SendResult>;
    job(id: string): Promise<JobRow>;
  }> {
    if (service === undefined) {
      const config = makeTestConfig({
        databaseUrl: (server as EmbeddedDatabase).url,
        dataRoot,
        overrides: { nodeName: NODE, worker: { enabled: false }, spool: { maxArrivalBytes: 4096 } },
      });
      service = await startService({ config, modules: [echoModule], logToConsole: false });
      await addCustomer(service.database.db, { slug: CUSTOMER, name: 'Outage Co' });
    }
    const current = service;
    assert.ok(current.spool !== null, 'the service owns its spool');
    const smtpPort = current.smtpAddress?.port as number;
    return {
      service: current,
      spool: current.spool,
      send: (raw) => sendWithNodemailer({ port: smtpPort, from: SENDER, to: [`${CUSTOMER}@${INGEST_DOMAIN}`], raw }),
      async job(id) {
        const row = await findJob(current.database.db, id);
        assert.ok(row !== undefined, `job ${id} exists`);
        return row;
      },
    };
  }

  /**
   * Sends messages that get their 250 but stay `staging`: the drain is held back, since it moves
   * jobs out of staging with an UPDATE that also inserts into job_events, which a session of the
   * test locks (accepting a message inserts only into jobs). The database's stop ends that session.
   */
  async function acknowledgedButStaging(tags: readonly string[]): Promise<{ raws: Buffer[]; ids: string[] }> {
    const { send, job } = await running();
    blocker = new pg.Client({ connectionString: (server as EmbeddedDatabase).url });
    blocker.on('error', () => undefined);
    await blocker.connect();
    await blocker.query('BEGIN');
    await blocker.query('LOCK TABLE job_events IN SHARE ROW EXCLUSIVE MODE');
    const raws = tags.map(message);
    const acknowledged = await Promise.all(raws.map(send));
    for (const result of acknowledged) assert.equal(result.code, 250, result.response);
    const ids = acknowledged.map((result) => result.jobIds[0] as string);
    for (const id of ids) {
      const row = await job(id);
      assert.equal(row.status, 'staging');
      assert.ok(readJobManifest(row).spool !== undefined, 'accepted through the spool');
    }
    await waitUntil(
      async () => (await blocker?.query(`SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()`))?.rowCount !== 0,
      'the drain waits on the lock',
      5000,
    );
    return { raws, ids };
  }

  /** Waits until every job left staging, failing after `timeoutMs`. */
  async function leaveStaging(ids: readonly string[], timeoutMs: number): Promise<void> {
    const { service: current } = await running();
    const started = Date.now();
    for (const id of ids) {
      await waitUntil(
        async () => (await findJob(current.database.db, id).catch(() => undefined))?.status !== 'staging',
        `job ${id} leaves staging`,
        timeoutMs - (Date.now() - started),
      );
    }
  }

  async function assertInFolders(ids: readonly string[], raws: readonly Buffer[]): Promise<void> {
    const { job } = await running();
    for (const [index, id] of ids.entries()) {
      const row = await job(id);
      assert.equal(row.status, 'unclassified', 'mail no module claims is unclassified once its folder is durable');
      assert.deepEqual(
        await readFile(path.join(dataRoot, 'inbox', row.relative_path, 'message.eml')),
        raws[index],
        'its folder holds the message byte for byte',
      );
    }
  }

  it('takes the lock again once the database is back: mail acknowledged before the outage leaves staging within seconds, and new mail is spooled again; 451 meanwhile', async () => {
    const { service: current, spool, send, job } = await running();
    const { raws: before, ids } = await acknowledgedButStaging(['before-1', 'before-2', 'before-3']);

    // The outage: the server stops (fast shutdown ends every session, the spool lock's too).
    await (server as EmbeddedDatabase).stop();
    server = undefined;
    blocker = undefined;
    const during = await send(message('during-1'));
    assert.equal(during.code, 451, `a transient refusal while the database is down: ${during.response}`);
    await waitUntil(() => !spool.accepting(), 'the spool notices its lock is gone', 10_000);
    const later = await send(message('during-2'));
    assert.equal(later.code, 451, `still transient once the lock is known lost: ${later.response}`);

    // The database comes back on the same port.
    server = await startEmbeddedPostgres({ dataRoot: pgRoot, port, logger: logging.for('test-db') });
    await leaveStaging(ids, BACK_WITHIN_MS);
    await assertInFolders(ids, before);

    // New mail takes the spool again (not the folder path) and gets its folder at once.
    await waitUntil(() => spool.accepting(), 'the spool accepts again', 5000);
    const after = await send(message('after'));
    assert.equal(after.code, 250, after.response);
    const afterRow = await job(after.jobIds[0] as string);
    assert.ok(readJobManifest(afterRow).spool !== undefined, 'new mail is spooled again, not sent down the slow path');
    await waitUntil(async () => (await job(afterRow.id)).status === 'unclassified', 'the new mail gets its folder', 3000);
    assert.equal(await spool.settled(5000), true);
    assert.equal(spool.backlog(), 0);

    // Only the segment in use is left: the old ones were replayed and deleted.
    const segments = await readdir(path.join(dataRoot, 'spool', sanitizeSegment(NODE)));
    assert.equal(segments.length, 1, `segments left: ${segments.join(', ')}`);

    // Operators can see it: the gauge and both counters, and a log line for the loss and the regain.
    const { body } = await current.metrics.render();
    assert.match(body, /^dataprocessor_spool_lock_held 1$/m);
    assert.match(body, /^dataprocessor_spool_lock_losses_total 1$/m);
    assert.match(body, /^dataprocessor_spool_lock_regains_total 1$/m);
    const lines = (await readFile(path.join(dataRoot, 'log', 'dataprocessor_spool.log'), 'utf8'))
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as { level: string; message: string; records?: number });
    assert.ok(
      lines.some((line) => line.level === 'error' && line.message.startsWith('the spool lock was lost')),
      'the loss is logged',
    );
    assert.ok(
      lines.some((line) => line.level === 'info' && line.message.startsWith('the spool lock was taken again')),
      'the regain is logged',
    );
  });

  it('after a restart too short for the lock check to see the database gone, the check finds the dead session once it is back, and the lock is taken again', async () => {
    const { service: current, spool, send } = await running();
    assert.equal(spool.lockState().losses, 1, 'the first test ran');
    const { raws, ids } = await acknowledgedButStaging(['short-1', 'short-2']);
    await (server as EmbeddedDatabase).stop();
    blocker = undefined;
    server = await startEmbeddedPostgres({ dataRoot: pgRoot, port, logger: logging.for('test-db') });
    // Up to one check interval (5 s) to notice, one retry (1 s) to take it again, then the replay.
    await leaveStaging(ids, 5000 + 1000 + BACK_WITHIN_MS);
    await assertInFolders(ids, raws);
    // Until the check finds the dead session, the spool may still think it holds the lock (its fenced commits answer 451).
    await waitUntil(() => spool.lockState().regains === 2 && spool.accepting(), 'the lock is taken again and the spool accepts', 10_000);
    const after = await send(message('after-short'));
    assert.equal(after.code, 250, after.response);
    const spooledAgain = await findJob(current.database.db, after.jobIds[0] as string);
    assert.ok(spooledAgain !== undefined && readJobManifest(spooledAgain).spool !== undefined, 'spooled again');
    assert.deepEqual(spool.lockState(), { held: true, losses: 2, regains: 2 });
  });
});
