import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { sql } from 'kysely';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { apiClient, type ApiClient } from '../support/http-client.js';
import { startTestService, TEST_ADMIN_KEY, type TestService } from '../support/start-test-service.js';
import { startWebhookReceiver, type ReceivedNotification, type WebhookReceiver } from '../support/webhook-receiver.js';

const is =
  (path: string, type: string, kind?: string) =>
  (n: ReceivedNotification): boolean =>
    n.path === path && n.body.type === type && (kind === undefined || n.body.condition.kind === kind);

interface MailSink {
  readonly port: number;
  readonly mails: Array<{ readonly to: string[]; readonly raw: string }>;
  close(): Promise<void>;
}

/** A relay that keeps what it is given (no TLS, no auth), on port 0. */
async function startMailSink(): Promise<MailSink> {
  const mails: MailSink['mails'] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        mails.push({ to: session.envelope.rcptTo.map((rcpt) => rcpt.address), raw: Buffer.concat(chunks).toString('utf8') });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.server.address() as AddressInfo).port,
    mails,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function waitUntil<T>(read: () => Promise<T | undefined>, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('alert delivery: backoff, giving up, test notifications, mail (real PostgreSQL, real receivers)', function () {
  this.timeout(60_000);
  let t: TestService;
  let receiver: WebhookReceiver;
  let sink: MailSink;
  let api: ApiClient;

  async function subscribe(path: string, body: Record<string, unknown>): Promise<string> {
    const response = await api.post('/api/1.0/alerts/subscriptions', { url: receiver.url(path), ...body });
    assert.equal(response.status, 201, response.text);
    receiver.setSecret(path, response.body.secret);
    return response.body.id as string;
  }

  async function deliveriesOf(subscription: string): Promise<any[]> {
    const response = await api.get(`/api/1.0/alerts/deliveries?subscription=${subscription}`);
    assert.equal(response.status, 200, response.text);
    return response.body.deliveries;
  }

  before(async () => {
    receiver = await startWebhookReceiver();
    sink = await startMailSink();
    t = await startTestService({
      customers: ['bobs_burgers', 'retry_co', 'give_up_co', 'mail_co'],
      overrides: {
        alerts: {
          checkIntervalSeconds: 0.25,
          delivery: { pollSeconds: 0.1, retryBaseSeconds: 0.6, retryMaxSeconds: 1, maxAttempts: 3, timeoutSeconds: 2 },
          mail: { relay: { host: '127.0.0.1', port: sink.port, secure: false, requireTls: false, username: null, password: null }, from: 'alerts@dp.example' },
        },
      },
    });
    api = apiClient(t.service.httpUrl!, TEST_ADMIN_KEY);
  });
  after(async () => {
    await t?.stop();
    await receiver?.close();
    await sink?.close();
  });

  it('retries with backoff after the receiver answers 500, then records the delivery with both attempts', async () => {
    receiver.answer('/flaky', [500, 200]);
    const subscription = await subscribe('/flaky', { customer: 'retry_co' });
    const { job } = await t.service.accept(t.echoArrival({ failPermanent: true }, { customer: 'retry_co' }));
    await t.waitForStatus(job.id, ['failed']);
    const delivered = await receiver.waitFor((n) => n.path === '/flaky' && n.answered === 200, 'the second attempt');
    const attempts = receiver.receivedAt('/flaky');
    assert.equal(attempts.length, 2);
    assert.equal(attempts[0]!.answered, 500);
    assert.equal(attempts[0]!.eventId, delivered.eventId, 'the same notification');
    assert.equal(attempts[0]!.rawBody, delivered.rawBody, 'byte for byte');
    assert.ok(attempts.every((n) => n.signatureValid));
    assert.ok(delivered.at - attempts[0]!.at >= 250, `retried after ${delivered.at - attempts[0]!.at} ms (backoff ≥ half of 0.6 s)`);

    const [row] = await waitUntil(async () => {
      const rows = await deliveriesOf(subscription);
      return rows[0]?.status === 'delivered' ? rows : undefined;
    }, 'the delivery recorded as delivered');
    assert.equal(row.attempts, 2);
    assert.equal(row.eventId, delivered.eventId);
    assert.equal(row.target, receiver.url('/flaky'));
    assert.equal(row.lastStatusCode, 200);
    assert.deepEqual(
      row.attemptLog.map((entry: any) => [entry.attempt, entry.outcome, entry.statusCode]),
      [
        [1, 'retry', 500],
        [2, 'delivered', 200],
      ],
    );
    assert.match(row.attemptLog[0].error, /HTTP 500: receiver says no/);
    const metrics = await (await fetch(`${t.service.httpUrl}/metrics`)).text();
    assert.match(metrics, /^dataprocessor_alert_deliveries_total\{outcome="retry"\} [1-9]\d*$/m);
  });

  it('gives a delivery up as failed after alerts.delivery.maxAttempts', async () => {
    receiver.answer('/down', [503]);
    const subscription = await subscribe('/down', { customer: 'give_up_co' });
    const { job } = await t.service.accept(t.echoArrival({ failPermanent: true }, { customer: 'give_up_co' }));
    await t.waitForStatus(job.id, ['failed']);
    const [row] = await waitUntil(async () => {
      const rows = await deliveriesOf(subscription);
      return rows[0]?.status === 'failed' ? rows : undefined;
    }, 'the delivery given up');
    assert.equal(row.attempts, 3);
    assert.deepEqual(
      row.attemptLog.map((entry: any) => entry.outcome),
      ['retry', 'retry', 'failed'],
    );
    assert.equal(receiver.receivedAt('/down').length, 3);
    const metrics = await (await fetch(`${t.service.httpUrl}/metrics`)).text();
    assert.match(metrics, /^dataprocessor_alert_deliveries_total\{outcome="failed"\} [1-9]\d*$/m);
  });

  it('sends a signed test notification on request', async () => {
    const subscription = await subscribe('/test', { description: 'checks its receiver' });
    const response = await api.post(`/api/1.0/alerts/subscriptions/${subscription}/test`);
    assert.equal(response.status, 202, response.text);
    assert.equal(response.body.deliveries, 1);
    const notification = await receiver.waitFor(is('/test', 'alert.test'), 'alert.test');
    assert.equal(notification.signatureValid, true, notification.signatureProblem ?? '');
    assert.equal(notification.eventId, response.body.eventId);
    const metrics = await (await fetch(`${t.service.httpUrl}/metrics`)).text();
    assert.doesNotMatch(metrics, /state="test"/, 'a test notification is not an alert');
  });

  it('mails a notification through the configured relay', async () => {
    const created = await api.post('/api/1.0/alerts/subscriptions', { channel: 'email', email: 'storage@mail.example', customer: 'mail_co' });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.body.secret, null);
    const { job } = await t.service.accept(t.echoArrival({ failPermanent: true }, { customer: 'mail_co' }));
    await t.waitForStatus(job.id, ['failed']);
    const mail = await waitUntil(async () => sink.mails.find((m) => m.to.includes('storage@mail.example')), 'the mail');
    const parsed = await simpleParser(mail.raw);
    assert.equal(parsed.subject, '[DataProcessor] jobs of test/echo failed for mail_co');
    assert.equal(parsed.from?.text, 'alerts@dp.example');
    assert.match(String(parsed.headers.get('x-dataprocessor-event')), /^alert\.opened$/);
    assert.match(parsed.text ?? '', /"kind": "job_failed"/);
    const rows = await waitUntil(async () => {
      const listed = await deliveriesOf(created.body.id);
      return listed[0]?.status === 'delivered' ? listed : undefined;
    }, 'the mail delivery recorded');
    assert.equal(rows[0].channel, 'email');
    assert.equal(rows[0].target, 'storage@mail.example');
    assert.equal(rows[0].lastStatusCode, 250);
    assert.equal(rows[0].eventId, String(parsed.headers.get('x-dataprocessor-event-id')));
  });

  it('offboarding a customer removes its subscriptions, conditions, notifications and deliveries, global ones’ included', async () => {
    const db = t.service.database.db;
    const countFor = async (table: string): Promise<number> =>
      Number((await sql<{ count: string }>`SELECT count(*) AS count FROM ${sql.table(table)} WHERE customer = 'give_up_co'`.execute(db)).rows[0]?.count);
    // Its failed delivery, and the global /test subscription's copy of its open condition.
    assert.ok((await countFor('alert_deliveries')) >= 2);
    assert.equal((await api.delete('/api/1.0/customers/give_up_co')).status, 204);
    const plan = await api.delete('/api/1.0/customers/give_up_co?purge=true&dryRun=true');
    assert.equal(plan.status, 200, plan.text);
    assert.ok(plan.body.rows.alert_subscriptions === 1 && plan.body.rows.alert_conditions === 1, JSON.stringify(plan.body.rows));
    const purged = await api.delete(`/api/1.0/customers/give_up_co?purge=true&confirm=${plan.body.token}`);
    assert.equal(purged.status, 200, purged.text);
    assert.deepEqual(purged.body.rows, plan.body.rows);
    for (const table of ['alert_subscriptions', 'alert_conditions', 'alert_events', 'alert_deliveries']) assert.equal(await countFor(table), 0, table);
  });
});
