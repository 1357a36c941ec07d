import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { checkLedger } from '../../bench/chaos/check-ledger.js';
import { Ledger, type MailItem, type UploadItem } from '../../bench/chaos/ledger.js';
import { migrateToLatest } from '../../src/db/migrate-to-latest.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

/**
 * The chaos benchmark's verdict must be right both ways: a harness that cannot see a lost,
 * doubled or stuck job would pass a broken service. Real jobs rows (migrated schema), a
 * hand-made ledger, one item per case.
 */
describe('chaos benchmark: the ledger check', () => {
  let database: TestDatabase;
  let pool: pg.Pool;
  let db: Kysely<unknown>;

  before(async () => {
    database = await createTestDatabase();
    pool = new pg.Pool({ connectionString: database.url, max: 2 });
    db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) });
    await migrateToLatest(db);
  });

  after(async () => {
    await db.destroy();
    await database.drop();
  });

  const query = async <Row extends pg.QueryResultRow>(text: string, values: readonly unknown[] = []): Promise<Row[]> =>
    (await pool.query<Row>(text, [...values])).rows;

  async function insertJob(args: { readonly status: string; readonly messageId?: string; readonly uploadId?: string; readonly id?: string }): Promise<string> {
    const id = args.id ?? randomUUID();
    const unique = randomUUID();
    await sql`INSERT INTO jobs (id, idempotency_key, source, source_ref, customer, category, type, group_name, status, max_attempts, timeout_seconds, relative_path, staging_id, manifest, node, received_at)
      VALUES (${id}, ${unique}, ${args.uploadId === undefined ? 'smtp' : 'api'}, ${JSON.stringify(args.uploadId === undefined ? {} : { uploadId: args.uploadId })}::jsonb,
        'chaos', 'hydrastor', 'alert', 'g', ${args.status}, 5, 120, ${unique}, ${unique},
        ${JSON.stringify({ hints: args.messageId === undefined ? {} : { messageId: `<${args.messageId}>` } })}::jsonb, 'local', now())`.execute(db);
    return id;
  }

  function mail(ledger: Ledger, token: string, outcome: 'acked' | 'not-acked' | 'refused'): MailItem {
    const item = ledger.addMail(token, `Message-ID: <${token}>\r\n\r\nbody\r\n`);
    item.attempts = 1;
    if (outcome === 'acked') ledger.acknowledge(item);
    if (outcome === 'refused') item.refused = '550 at RCPT';
    return item;
  }

  function upload(ledger: Ledger, token: string, jobId: string | null): UploadItem {
    const item = ledger.addUpload(token);
    item.attempts = 1;
    if (jobId !== null) ledger.acknowledge(item, jobId);
    return item;
  }

  it('counts each acknowledged item that has no job, two jobs, a stuck job or a failed job, and nothing else', async () => {
    const ledger = new Ledger();
    mail(ledger, 'ok@chaos', 'acked');
    await insertJob({ status: 'succeeded', messageId: 'ok@chaos' });
    mail(ledger, 'lost@chaos', 'acked');
    mail(ledger, 'twice@chaos', 'acked');
    await insertJob({ status: 'succeeded', messageId: 'twice@chaos' });
    await insertJob({ status: 'succeeded', messageId: 'twice@chaos' });
    mail(ledger, 'stuck@chaos', 'acked');
    await insertJob({ status: 'staging', messageId: 'stuck@chaos' });
    mail(ledger, 'timeout@chaos', 'acked');
    await insertJob({ status: 'timed_out', messageId: 'timeout@chaos' });
    mail(ledger, 'failed@chaos', 'acked');
    await insertJob({ status: 'failed', messageId: 'failed@chaos' });
    // Not acknowledged: stored once is allowed (the 250 was lost), absent too.
    mail(ledger, 'stored-unacked@chaos', 'not-acked');
    await insertJob({ status: 'succeeded', messageId: 'stored-unacked@chaos' });
    mail(ledger, 'never@chaos', 'not-acked');
    mail(ledger, 'bounced@chaos', 'refused');
    await insertJob({ status: 'succeeded', messageId: 'nobody-sent-this@chaos' });

    const uploadJob = await insertJob({ status: 'succeeded', uploadId: 'chaos-up-ok' });
    upload(ledger, 'chaos-up-ok', uploadJob);
    // The 202 named a job that is not there (another job with the same Upload-Id does not count).
    await insertJob({ status: 'succeeded', uploadId: 'chaos-up-wrong' });
    upload(ledger, 'chaos-up-wrong', randomUUID());
    upload(ledger, 'chaos-up-stuck', await insertJob({ status: 'queued', uploadId: 'chaos-up-stuck' }));

    const check = await checkLedger({ query }, ledger);
    assert.deepEqual(
      {
        sent: check.mails.sent,
        acknowledged: check.mails.acknowledged,
        ok: check.mails.ok,
        lost: check.mails.lost,
        duplicated: check.mails.duplicated,
        stranded: check.mails.stranded,
        failed: check.mails.failed,
        refused5xx: check.mails.refused5xx,
        neverAcknowledged: check.mails.neverAcknowledged,
        storedWithoutAck: check.mails.storedWithoutAck,
      },
      { sent: 9, acknowledged: 6, ok: 1, lost: 1, duplicated: 1, stranded: 2, failed: 1, refused5xx: 1, neverAcknowledged: 2, storedWithoutAck: 1 },
    );
    assert.deepEqual(
      { ok: check.uploads.ok, lost: check.uploads.lost, stranded: check.uploads.stranded, duplicated: check.uploads.duplicated },
      { ok: 1, lost: 1, stranded: 1, duplicated: 0 },
    );
    assert.equal(check.unexpectedJobs, 1);
    assert.match(check.mails.examples['lost']?.[0] ?? '', /^lost@chaos: acknowledged/);
  });
});
