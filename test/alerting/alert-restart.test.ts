import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { sql } from 'kysely';
import pg from 'pg';
import type { Config } from '../../src/config/config-schema.js';
import { addCustomer } from '../../src/db/customers-repository.js';
import { startService, type RunningService } from '../../src/main.js';
import { createEchoTable, echoFile, echoModule, type EchoInstruction } from '../support/echo-module.js';
import { apiClient } from '../support/http-client.js';
import { TEST_ADMIN_KEY } from '../support/start-test-service.js';
import { makeDataRoot, makeTestConfig } from '../support/test-config.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.js';
import type { Arrival } from '../../src/pipeline/accept.js';

function arrival(customer: string, instruction: EchoInstruction): Arrival {
  return {
    source: 'api',
    customer,
    moduleKey: 'test/echo',
    group: 'icecream_machine',
    writeFiles: async (folder) => {
      await folder.writeFile({ name: 'instruction.json', source: echoFile(instruction), originalName: 'instruction.json' });
    },
  };
}

async function waitForJob(service: RunningService, jobId: string, status: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const row = await service.database.db.selectFrom('jobs').select('status').where('id', '=', jobId).executeTakeFirst();
    if (row?.status === status) return;
    if (Date.now() > deadline) throw new Error(`job ${jobId} is ${row?.status}, expected ${status}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('alerting across a restart (one database, two service lifetimes)', function () {
  this.timeout(60_000);
  let database: TestDatabase;
  let dataRoot: string;
  let config: Config;
  let receiver: WebhookReceiver;
  let service: RunningService | undefined;

  before(async () => {
    database = await createTestDatabase();
    dataRoot = await makeDataRoot();
    receiver = await startWebhookReceiver();
    config = makeTestConfig({
      databaseUrl: database.url,
      dataRoot,
      overrides: {
        adminApiKey: TEST_ADMIN_KEY,
        // A retry comes 1–2 s after a failed attempt: time enough to stop the service in between.
        alerts: { checkIntervalSeconds: 0.25, delivery: { pollSeconds: 0.1, retryBaseSeconds: 2, retryMaxSeconds: 2, maxAttempts: 10 } },
      },
    });
  });
  after(async () => {
    await service?.stop();
    await receiver?.close();
    await database?.drop();
    await rm(dataRoot, { recursive: true, force: true });
  });

  it('delivers after a restart what was undelivered at shutdown, and notifies jobs another process failed while no instance ran', async () => {
    service = await startService({ config, modules: [echoModule], logToConsole: false });
    await createEchoTable(service.database.db);
    for (const slug of ['bobs_burgers', 'restart_co']) await addCustomer(service.database.db, { slug, name: slug });
    const api = apiClient(service.httpUrl!, TEST_ADMIN_KEY);
    const created = await api.post('/api/1.0/alerts/subscriptions', { url: receiver.url('/restart'), kinds: ['job_failed'] });
    assert.equal(created.status, 201, created.text);
    receiver.setSecret('/restart', created.body.secret);
    receiver.answer('/restart', [503]);

    // The receiver is down when the notification is first sent.
    const failing = await service.accept(arrival('restart_co', { failPermanent: true }));
    await waitForJob(service, failing.job.id, 'failed');
    const first = await receiver.waitFor((n) => n.body.condition.key === 'restart_co/test/echo', 'the first attempt');
    assert.equal(first.answered, 503);
    // A job that will be failed by "another process" while no instance runs.
    const other = await service.accept(arrival('bobs_burgers', { rows: 1 }));
    await waitForJob(service, other.job.id, 'succeeded');
    await service.stop();
    service = undefined;

    // Meanwhile: the receiver comes back, and a process without alerting (a CLI, the mailhandler,
    // an instance with alerts off) ends a job failed; the trigger queues it in that transaction.
    receiver.answer('/restart', [200]);
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      await client.query(
        `UPDATE jobs SET status = 'failed', error_code = 'LEASE_EXPIRED', error_message = 'ended elsewhere', finished_at = now() WHERE id = $1`,
        [other.job.id],
      );
    } finally {
      await client.end();
    }

    const restartedAt = Date.now();
    service = await startService({ config, modules: [echoModule], logToConsole: false });
    const delivered = await receiver.waitFor((n) => n.eventId === first.eventId && n.answered === 200, 'the same notification, delivered after the restart');
    assert.ok(delivered.at >= restartedAt);
    assert.equal(delivered.signatureValid, true, delivered.signatureProblem ?? '');
    assert.equal(delivered.rawBody, first.rawBody);
    const elsewhere = await receiver.waitFor(
      (n) => n.body.type === 'alert.opened' && n.body.condition.key === 'bobs_burgers/test/echo',
      'the job failed while no instance ran',
    );
    assert.equal(elsewhere.body.details.jobId, other.job.id);
    assert.equal(elsewhere.body.details.errorCode, 'LEASE_EXPIRED');
    assert.equal(elsewhere.signatureValid, true);

    const db = service.database.db;
    let row: { status: string; attempts: number; attempt_log: Array<{ outcome: string; statusCode: number }> } | undefined;
    for (const deadline = Date.now() + 5000; row?.status !== 'delivered' && Date.now() < deadline; await new Promise((resolve) => setTimeout(resolve, 50))) {
      row = (await sql<NonNullable<typeof row>>`SELECT status, attempts, attempt_log FROM alert_deliveries WHERE event_id = ${first.eventId}`.execute(db))
        .rows[0];
    }
    assert.equal(row?.status, 'delivered');
    assert.ok(row.attempts >= 2);
    assert.deepEqual(row.attempt_log.at(-1)?.statusCode, 200);
    assert.ok(row.attempt_log.slice(0, -1).every((entry) => entry.outcome === 'retry' && entry.statusCode === 503));
    assert.equal(receiver.receivedAt('/restart').filter((n) => n.eventId === first.eventId && n.answered === 200).length, 1, 'delivered once');
  });
});
