import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { sql } from 'kysely';
import nodemailer from 'nodemailer';
import type SMTPPool from 'nodemailer/lib/smtp-pool/index.js';
import type { JobRow } from '../../../src/db/database-schema.js';
import { findJob } from '../../../src/db/jobs-repository.js';
import { sanitizeSegment } from '../../../src/pipeline/paths.js';
import { INGEST_DOMAIN, incomingLeftovers, jobIdsIn, readManifest, sendWithNodemailer, toWire, type SendResult } from '../../support/smtp-test-helpers.js';
import { startTestService, type TestService } from '../../support/start-test-service.js';
import { readJobManifest } from '../../../src/db/job-manifest.js';

const BOB = `bobs_burgers@${INGEST_DOMAIN}`;
const SENDER = 'alerts@icecream-machine.example';
/** Small enough to spool every ordinary test message, small enough that a larger one is easy to make. */
const MAX_ARRIVAL_BYTES = 4096;

function smallMessage(tag: string, body = `Body of ${tag}: ${randomBytes(12).toString('hex')}`): Buffer {
  return Buffer.from(
    toWire(
      [
        `From: ${SENDER}`,
        `To: ${BOB}`,
        `Subject: spool ${tag}`,
        `Message-ID: <${tag}.${randomBytes(6).toString('hex')}@icecream-machine.example>`,
        'Date: Tue, 05 Mar 2024 10:00:00 +0000',
        'MIME-Version: 1.0',
        'Content-Type: text/plain; charset=utf-8',
        '',
        body,
        '',
      ].join('\n'),
    ),
  );
}

/** Sends several messages one after another over one SMTP connection (a pool of one). */
async function sendOverOneConnection(port: number, raws: readonly Buffer[]): Promise<SendResult[]> {
  const transport = nodemailer.createTransport({
    host: '127.0.0.1',
    port,
    secure: false,
    ignoreTLS: true,
    pool: true,
    maxConnections: 1,
    maxMessages: raws.length,
  } satisfies SMTPPool.Options);
  try {
    const results: SendResult[] = [];
    for (const raw of raws) {
      const info = await transport.sendMail({ envelope: { from: SENDER, to: [BOB] }, raw });
      results.push({ code: Number(info.response.slice(0, 3)), response: info.response, jobIds: jobIdsIn(info.response), rejected: info.rejected.map(String) });
    }
    return results;
  } finally {
    transport.close();
  }
}

function spoolOf(job: JobRow): { segment: string; offset: number } | undefined {
  return readJobManifest(job).spool;
}

async function jobsWithIds(t: TestService, ids: readonly string[]): Promise<JobRow[]> {
  return t.service.database.db
    .selectFrom('jobs')
    .selectAll()
    .where('id', 'in', [...ids])
    .execute();
}

/** Every job folder under the customer's unclassified mail whose message.eml is exactly `raw`. */
async function foldersHolding(t: TestService, raw: Buffer): Promise<string[]> {
  const parent = path.join(t.dataRoot, 'inbox', 'bobs_burgers', 'unclassified', 'smtp', 'none');
  const found: string[] = [];
  for (const name of await readdir(parent)) {
    const message = await readFile(path.join(parent, name, 'message.eml')).catch(() => undefined);
    if (message?.equals(raw) === true) found.push(name);
  }
  return found;
}

describe('spooled SMTP acceptance (real server, real client, real PostgreSQL)', function () {
  this.timeout(20_000);
  let t: TestService;
  let port: number;
  let spoolDir: string;

  before(async () => {
    // 20 connections from one address: above the per-address share a real client would get.
    t = await startTestService({
      overrides: { worker: { enabled: false }, spool: { maxArrivalBytes: MAX_ARRIVAL_BYTES }, smtp: { maxConnectionsPerAddress: 40 } },
    });
    assert.ok(t.service.spool !== null, 'the spool is open');
    port = t.service.smtpAddress?.port as number;
    spoolDir = path.join(t.dataRoot, 'spool', sanitizeSegment(t.config.node.name));
  });
  after(async () => {
    await t?.stop();
  });

  it('acknowledges 40 concurrent messages over 20 connections in shared batches, then writes 40 folders byte for byte', async () => {
    const lanes = Array.from({ length: 20 }, (_unused, lane) => [smallMessage(`lane${lane}-a`), smallMessage(`lane${lane}-b`)]);
    const sent = (await Promise.all(lanes.map((raws) => sendOverOneConnection(port, raws)))).flat();
    const raws = lanes.flat();
    assert.equal(sent.length, 40);
    for (const result of sent) {
      assert.equal(result.code, 250, result.response);
      assert.equal(result.jobIds.length, 1, result.response);
    }
    const ids = sent.map((result) => result.jobIds[0] as string);
    assert.equal(new Set(ids).size, 40, 'one job per message');

    await t.settled();
    const jobs = await jobsWithIds(t, ids);
    assert.equal(jobs.length, 40);
    for (const job of jobs) assert.equal(job.status, 'unclassified', `${job.id} is visible (no module matches these messages)`);
    assert.equal(new Set(jobs.map((job) => job.relative_path)).size, 40, 'distinct folders');
    for (const [index, id] of ids.entries()) {
      const job = jobs.find((row) => row.id === id) as JobRow;
      const folder = path.join(t.dataRoot, 'inbox', job.relative_path);
      assert.ok((await readFile(path.join(folder, 'message.eml'))).equals(raws[index] as Buffer), `${job.relative_path}: message.eml as sent`);
      assert.ok((await readManifest(folder)).files.some((file) => file.name === 'message.eml'));
    }

    // Group commit: one segment for all, and rows that share an INSERT share its transaction's now().
    const segments = new Set(jobs.map((job) => spoolOf(job)?.segment));
    assert.equal(segments.size, 1, `one segment: ${[...segments].join(', ')}`);
    assert.ok(typeof [...segments][0] === 'string', 'every job was spooled');
    const createdAt = jobs.map((job) => job.created_at.getTime());
    assert.ok(new Set(createdAt).size < createdAt.length, 'at least two jobs were committed by the same statement');
    assert.deepEqual(await incomingLeftovers(t), []);
  });

  it('gives the same bytes sent twice at once, and once more later, one job, one row and one folder', async () => {
    const raw = smallMessage('duplicate');
    const together = await Promise.all([
      sendWithNodemailer({ port, from: SENDER, to: [BOB], raw }),
      sendWithNodemailer({ port, from: SENDER, to: [BOB], raw }),
    ]);
    await t.settled();
    const later = await sendWithNodemailer({ port, from: SENDER, to: [BOB], raw });
    await t.settled();
    const ids = [...together, later].map((result) => {
      assert.equal(result.code, 250, result.response);
      return result.jobIds[0];
    });
    assert.equal(new Set(ids).size, 1, `one job id: ${ids.join(', ')}`);
    const job = await findJob(t.service.database.db, ids[0] as string);
    assert.equal(job?.status, 'unclassified');
    const rows = await sql<{ count: string }>`SELECT count(*) FROM jobs WHERE idempotency_key = ${job?.idempotency_key}`.execute(t.service.database.db);
    assert.equal(Number(rows.rows[0]?.count), 1);
    assert.deepEqual(await foldersHolding(t, raw), [path.basename(job?.relative_path ?? '')]);
    assert.deepEqual(await incomingLeftovers(t), []);
  });

  it('streams a message larger than spool.maxArrivalBytes into its folder before the 250', async () => {
    const raw = smallMessage('large', `${'x'.repeat(76)}\r\n`.repeat(100));
    assert.ok(raw.byteLength > MAX_ARRIVAL_BYTES);
    const sent = await sendWithNodemailer({ port, from: SENDER, to: [BOB], raw });
    assert.equal(sent.code, 250, sent.response);
    // No settle: the folder path commits the folder and the visible job before answering.
    const job = await findJob(t.service.database.db, sent.jobIds[0] as string);
    assert.ok(job !== undefined);
    assert.equal(job.status, 'unclassified');
    assert.equal(spoolOf(job), undefined, 'not spooled');
    assert.ok((await readFile(path.join(t.dataRoot, 'inbox', job.relative_path, 'message.eml'))).equals(raw));
  });

  it('leaves no segment behind once stopped', async () => {
    assert.equal((await readdir(spoolDir)).filter((name) => name.endsWith('.spool')).length, 1, 'the open segment, while running');
    await t.service.stop();
    assert.deepEqual(await readdir(spoolDir), []);
  });
});

describe('spool backlog full (real server, real client, real PostgreSQL)', function () {
  this.timeout(20_000);
  let t: TestService;
  before(async () => {
    t = await startTestService({ overrides: { worker: { enabled: false }, spool: { maxBacklog: 1 } } });
  });
  after(async () => {
    await t?.stop();
  });

  it('sends what the spool cannot take down the folder path, and every message still gets its 250 and its folder', async () => {
    const port = t.service.smtpAddress?.port as number;
    // Several messages per connection: acceptArrival asks accepting() before it reads the message,
    // so a burst of simultaneous first messages all find the spool empty; later ones meet a backlog.
    const lanes = Array.from({ length: 10 }, (_unused, lane) => Array.from({ length: 4 }, (_none, index) => smallMessage(`backlog${lane}-${index}`)));
    const sent = (await Promise.all(lanes.map((raws) => sendOverOneConnection(port, raws)))).flat();
    const raws = lanes.flat();
    for (const result of sent) assert.equal(result.code, 250, result.response);
    await t.settled();
    const ids = sent.map((result) => result.jobIds[0] as string);
    const jobs = await jobsWithIds(t, ids);
    assert.equal(jobs.length, 40);
    for (const [index, id] of ids.entries()) {
      const job = jobs.find((row) => row.id === id) as JobRow;
      assert.equal(job.status, 'unclassified');
      assert.ok((await readFile(path.join(t.dataRoot, 'inbox', job.relative_path, 'message.eml'))).equals(raws[index] as Buffer));
    }
    const spooled = jobs.filter((job) => spoolOf(job) !== undefined).length;
    assert.ok(spooled >= 1 && spooled < 40, `both paths taken (${spooled} of 40 spooled)`);
  });
});
