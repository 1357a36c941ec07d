import { sql } from 'kysely';
import { createApiKey } from '../../src/db/api-keys-repository.js';
import { findCustomerBySlug } from '../../src/db/customers-repository.js';
import { insertRefusedArrivals } from '../../src/db/refused-arrivals-repository.js';
import type { TestService } from './start-test-service.js';
import { echoFile } from './echo-module.js';

export interface ConsoleFixtures {
  /** A key of jimmys_pizza, the customer that must never see bobs_burgers. */
  readonly jimmyKey: string;
  readonly jimmyKeyId: string;
  readonly bob: { readonly succeeded: string; readonly failed: string; readonly unclassified: string };
  readonly jimmy: { readonly succeeded: string; readonly failed: string; readonly unclassified: string };
}

/** An unclassified "mail": a subject and sender no module claims, a text body, and the echo instruction first. */
export async function acceptUnclassifiedMail(t: TestService, customer: string, subject: string, from: string): Promise<string> {
  const { job } = await t.service.accept({
    source: 'smtp',
    customer,
    hints: { subject, from },
    writeFiles: async (folder) => {
      await folder.writeFile({ name: 'instruction.json', source: echoFile({ rows: 3, tag: subject }), originalName: 'instruction.json' });
      await folder.writeFile({
        name: 'body.txt',
        source: `Hello,\n\nthe weekly capacity figures of ${subject} follow.\n<script>alert(1)</script>\n`,
        role: 'body',
        contentType: 'text/plain; charset=utf-8',
      });
    },
  });
  if (job.status !== 'unclassified') throw new Error(`expected an unclassified job, got ${job.status}`);
  return job.id;
}

/**
 * Two customers with a succeeded, a failed and an unclassified job each, refusals for one of them
 * and for nobody, and bobs_burgers' grid1 silent (quiet longer than test/echo's 1 h interval).
 */
export async function seedConsoleFixtures(t: TestService): Promise<ConsoleFixtures> {
  const { db } = t.service.database;
  const jimmy = await findCustomerBySlug(db, 'jimmys_pizza');
  const { key: jimmyKey, id: jimmyKeyId } = await createApiKey(db, { customerId: jimmy!.id, label: 'jimmy' });
  const jobs = async (customer: string, group: string) => {
    const ok = await t.service.accept(t.echoArrival({ rows: 4, group, tag: `${customer} ok` }, { customer }));
    const bad = await t.service.accept(
      t.echoArrival({ failPermanent: true, group: `${group}-b`, tag: `${customer} bad`, failMessage: 'line 3: <b>not a number</b>' }, { customer }),
    );
    await t.waitForStatus(ok.job.id, ['succeeded']);
    await t.waitForStatus(bad.job.id, ['failed']);
    const unclassified = await acceptUnclassifiedMail(t, customer, `Capacity report ${customer}`, `storage-admin@${customer}.example`);
    return { succeeded: ok.job.id, failed: bad.job.id, unclassified };
  };
  const bob = await jobs('bobs_burgers', 'grid1');
  const jimmyJobs = await jobs('jimmys_pizza', 'oven');
  await sql`UPDATE sources SET last_received_at = now() - interval '2 hours' WHERE group_name = 'grid1'`.execute(db);
  await insertRefusedArrivals(db, 'test-node', [
    {
      source: 'smtp',
      stage: 'MAIL FROM',
      code: 'SENDER_NOT_ALLOWED',
      message: 'sender grid9@elsewhere.example is not on the allowed senders',
      reply: '550 5.7.1 Sender address rejected: not allowed',
      customer: 'bobs_burgers',
      sender: 'grid9@elsewhere.example',
      recipients: ['bobs_burgers@ingest.example'],
      clientAddress: '192.0.2.10',
    },
    {
      source: 'smtp',
      stage: 'RCPT TO',
      code: 'RECIPIENT_UNKNOWN',
      message: 'no customer for nobody@ingest.example',
      reply: '550 5.1.1 Recipient address rejected: user unknown',
      sender: 'scanner@spam.example',
      recipients: ['nobody@ingest.example'],
      clientAddress: '198.51.100.7',
    },
    {
      source: 'smtp',
      stage: 'DATA',
      code: 'MESSAGE_TOO_LARGE',
      message: 'message larger than smtp.maxMessageBytes',
      reply: '552 5.3.4 Message size exceeds fixed maximum message size',
      customer: 'jimmys_pizza',
      sender: 'oven@jimmys_pizza.example',
      recipients: ['jimmys_pizza@ingest.example'],
      sizeBytes: 60_000_000,
      clientAddress: '203.0.113.5',
    },
  ]);
  return { jimmyKey, jimmyKeyId, bob, jimmy: jimmyJobs };
}

/**
 * A day of finished history for the overview's charts (screenshots): a few jobs a minute over the
 * last 24 hours, more in the (UTC) working day, from several sources, a few failing. Rows only (no
 * folders): nothing runs them.
 */
export async function seedDayOfTraffic(t: TestService, customer: string): Promise<void> {
  await sql`
    INSERT INTO jobs (idempotency_key, source, source_ref, customer, category, type, group_name, status, max_attempts, timeout_seconds,
      error_code, error_message, stats, relative_path, staging_id, manifest, node, received_at, started_at, finished_at)
    SELECT 'history:' || m || ':' || j, (ARRAY['smtp','smtp','smtp','s3','webhook','api','mailhandler'])[1 + (j + m) % 7], '{}'::jsonb, ${customer},
      'test', 'echo', 'grid' || (j % 5), CASE WHEN (m * 7 + j) % 41 = 0 THEN 'failed' WHEN (m * 7 + j) % 173 = 0 THEN 'timed_out' ELSE 'succeeded' END,
      5, 3600, CASE WHEN (m * 7 + j) % 41 = 0 THEN 'ECHO_BAD_INPUT' WHEN (m * 7 + j) % 173 = 0 THEN 'JOB_TIMEOUT' END,
      CASE WHEN (m * 7 + j) % 41 = 0 OR (m * 7 + j) % 173 = 0 THEN 'history' END,
      '{}'::jsonb, 'history/' || m || '/' || j, 'history-' || m || '-' || j, '{"files":[],"hints":{}}'::jsonb, 'test', at, at, at + interval '40 seconds'
    FROM generate_series(1, 1438) AS m,
      LATERAL (SELECT now() - interval '24 hours' + m * interval '1 minute' AS at) AS t,
      -- Two to four a minute at night, six to ten in the working day.
      LATERAL generate_series(1, CASE WHEN extract(hour FROM at) BETWEEN 7 AND 18 THEN 6 + m % 5 ELSE 2 + m % 3 END) AS j`.execute(t.service.database.db);
}
