import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { INGEST_DOMAIN, sendWithNodemailer, toWire } from '../../support/smtp-test-helpers.js';
import { startTestService, type TestService } from '../../support/start-test-service.js';

const BOB = `bobs_burgers@${INGEST_DOMAIN}`;
const SENDER = 'alerts@fence.example';

function message(tag: string): Buffer {
  return Buffer.from(
    toWire(
      [
        `From: ${SENDER}`,
        `To: ${BOB}`,
        `Subject: fence ${tag}`,
        `Message-ID: <${tag}.${randomBytes(6).toString('hex')}@fence.example>`,
        'Date: Tue, 05 Mar 2024 10:00:00 +0000',
        '',
        `Body of ${tag}: ${randomBytes(12).toString('hex')}`,
        '',
      ].join('\n'),
    ),
  );
}

async function waitUntil(condition: () => boolean | Promise<boolean>, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('spooled jobs commit only under the lock (real PostgreSQL, real SMTP)', function () {
  this.timeout(30_000);
  let t: TestService;

  before(async () => {
    // Alerting off: its checks hold an advisory lock of their own, and the tests find the spool's session by its advisory lock.
    t = await startTestService({
      overrides: { nodeName: 'fence node', alerts: { enabled: false }, worker: { enabled: false }, spool: { maxArrivalBytes: 4096 } },
    });
  });
  after(async () => {
    await t?.stop();
  });

  it('refuses with 451 a message appended after the lock session died but before the spool noticed, then records it once the lock is back', async () => {
    const db = t.service.database.db;
    const spool = t.service.spool;
    assert.ok(spool !== null);
    const port = t.service.smtpAddress?.port as number;

    // An administrator (or a cut connection) ends the session holding the lock. The lock is free
    // on the server at once; the spool learns it at its next check, up to seconds later, and
    // another instance starting meanwhile could take the lock and replay the spool.
    const sessions = await sql<{
      pid: number;
    }>`SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`.execute(db);
    assert.equal(sessions.rows.length, 1, 'one session holds the spool lock');
    await sql`SELECT pg_terminate_backend(${sessions.rows[0]?.pid})`.execute(db);
    assert.equal(spool.accepting(), true, 'the spool has not noticed yet: the message takes the spool path');

    const raw = message('in-the-gap');
    const refused = await sendWithNodemailer({ port, from: SENDER, to: [BOB], raw });
    assert.equal(refused.code, 451, `not acknowledged under a lock no longer held: ${refused.response}`);

    // The spool notices, takes the lock again, replays its segment: the record becomes a job,
    // and the sender's retry finds it (one job, not two).
    await waitUntil(() => spool.lockState().regains === 1 && spool.accepting(), 'the lock is taken again', 15_000);
    const retried = await sendWithNodemailer({ port, from: SENDER, to: [BOB], raw });
    assert.equal(retried.code, 250, retried.response);
    await t.settled();
    const jobs = await db.selectFrom('jobs').select(['id', 'status']).where('source', '=', 'smtp').execute();
    assert.deepEqual(
      jobs.map((job) => job.id),
      [retried.jobIds[0]],
      'the message has one job',
    );
    assert.equal(jobs[0]?.status, 'unclassified');
    assert.equal(spool.lockState().losses, 1);
  });
});

describe('a spool lock connection that stops answering (real PostgreSQL, a paused server process)', function () {
  this.timeout(60_000);
  let t: TestService;

  before(async () => {
    t = await startTestService({
      overrides: { nodeName: 'stalled node', alerts: { enabled: false }, worker: { enabled: false }, spool: { maxArrivalBytes: 4096 } },
    });
  });
  after(async () => {
    await t?.stop();
  });

  it('ends that session on the server instead of handing it, lock and all, back to the pool, and takes the lock again', async function () {
    if (process.getuid?.() !== 0) this.skip(); // pausing the server process needs root
    const db = t.service.database.db;
    const spool = t.service.spool;
    assert.ok(spool !== null);
    const holders = await sql<{
      pid: number;
    }>`SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`.execute(db);
    const pid = holders.rows[0]?.pid as number;
    assert.ok(pid > 0, 'one session holds the spool lock');
    // The server process of that one session is paused (a stall, a half-open connection): the
    // check's ping gets no answer. Only this session's process; the server itself runs on.
    process.kill(pid, 'SIGSTOP');
    try {
      await waitUntil(() => spool.lockState().losses === 1, 'the check gives up on the silent connection', 25_000);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    // Once it runs again it must end (terminated while paused), so the lock is free and taken again.
    await waitUntil(() => spool.lockState().regains === 1 && spool.accepting(), 'the lock is taken again', 20_000);
    const stale = await sql<{ n: number }>`SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid = ${pid}`.execute(db);
    assert.equal(stale.rows[0]?.n, 0, 'the stalled session was ended, not returned to the pool');
    const now = await sql<{
      pid: number;
    }>`SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`.execute(db);
    assert.equal(now.rows.length, 1, 'exactly one session holds the lock');
    assert.notEqual(now.rows[0]?.pid, pid);
  });
});
