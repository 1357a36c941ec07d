import assert from 'node:assert/strict';
import { rm, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { sql } from 'kysely';
import type { IngestModule } from '../../src/modules/types.js';
import { echoModule } from '../support/echo-module.js';
import { apiClient, type ApiClient } from '../support/http-client.js';
import { sendWithNodemailer } from '../support/smtp-test-helpers.js';
import { startTestService, TEST_ADMIN_KEY, type TestService } from '../support/start-test-service.js';
import { startWebhookReceiver, type ReceivedNotification, type WebhookReceiver } from '../support/webhook-receiver.js';

/** Echo variants: one the config times out after 1 s, one only the silent-source check knows (neither claims mail). */
const echoSlow = { ...echoModule, type: 'echo_slow', matches: () => false } satisfies IngestModule<unknown>;
const echoQuiet = { ...echoModule, type: 'echo_quiet', matches: () => false } satisfies IngestModule<unknown>;

const is =
  (path: string, type: string, kind: string, key?: string) =>
  (n: ReceivedNotification): boolean =>
    n.path === path && n.body.type === type && n.body.condition.kind === kind && (key === undefined || n.body.condition.key === key);

/** The receiver checked the signature (docs/alerts.md) and the headers name the event. */
function assertSigned(notification: ReceivedNotification): void {
  assert.equal(notification.signatureValid, true, `${notification.body.type} ${notification.body.condition.kind}: ${notification.signatureProblem}`);
  assert.equal(notification.eventId, notification.body.id);
  assert.equal(notification.headers['x-dataprocessor-event'], notification.body.type);
  assert.match(String(notification.headers['x-dataprocessor-signature']), /^t=\d+,v1=[0-9a-f]{64}$/);
}

describe('alerting: one correctly signed notification per condition (real PostgreSQL, real HTTP receiver)', function () {
  this.timeout(60_000);
  let t: TestService;
  let receiver: WebhookReceiver;
  let api: ApiClient;
  let node: string;

  async function subscribe(receiverPath: string, body: Record<string, unknown>): Promise<string> {
    const response = await api.post('/api/1.0/alerts/subscriptions', { url: receiver.url(receiverPath), ...body });
    assert.equal(response.status, 201, response.text);
    assert.match(response.body.secret, /^whsec_[A-Za-z0-9_-]{43}$/);
    receiver.setSecret(receiverPath, response.body.secret);
    return response.body.id as string;
  }

  before(async () => {
    receiver = await startWebhookReceiver();
    t = await startTestService({
      modules: [echoModule, echoSlow, echoQuiet],
      customers: ['bobs_burgers', 'digest_co', 'other_customer', 'stuck_mail'],
      overrides: {
        modules: { 'test/echo_slow': { timeoutSeconds: 1, maxAttempts: 1 } },
        sources: { expectedIntervalHours: { 'test/echo_quiet': 1 } },
        // Far above any real free space: the data root is "low" from the first check.
        disk: { warnFreeBytes: 2 ** 52 },
        alerts: {
          checkIntervalSeconds: 0.25,
          digestMinutes: 0.03,
          thresholds: { spoolStuckSeconds: 1 },
          delivery: { pollSeconds: 0.1, retryBaseSeconds: 0.3, retryMaxSeconds: 1, timeoutSeconds: 3 },
        },
      },
    });
    node = t.config.node.name;
    api = apiClient(t.service.httpUrl!, TEST_ADMIN_KEY);
    await subscribe('/global', { description: 'everything' });
    await subscribe('/bobs', { customer: 'bobs_burgers' });
    await subscribe('/other', { customer: 'other_customer' });
    await subscribe('/failed-only', { kinds: ['job_failed'] });
  });
  after(async () => {
    await t?.stop();
    await receiver?.close();
  });

  it('job failed: opened once for the customer and module, signed', async () => {
    const { job } = await t.service.accept(t.echoArrival({ failPermanent: true, tag: 'fails' }));
    await t.waitForStatus(job.id, ['failed']);
    const notification = await receiver.waitFor(is('/global', 'alert.opened', 'job_failed', 'bobs_burgers/test/echo'), 'job_failed opened');
    assertSigned(notification);
    assert.equal(notification.body.count, 1);
    assert.deepEqual(notification.body.condition.scope, { customer: 'bobs_burgers', category: 'test', type: 'echo' });
    assert.equal(notification.body.details.jobId, job.id);
    assert.equal(notification.body.details.errorCode, 'ECHO_BAD_INPUT');
    assertSigned(await receiver.waitFor(is('/bobs', 'alert.opened', 'job_failed', 'bobs_burgers/test/echo'), 'the customer’s own'));
    assertSigned(await receiver.waitFor(is('/failed-only', 'alert.opened', 'job_failed'), 'the kind filter’s'));
  });

  it('job timed out', async () => {
    const { job } = await t.service.accept(t.echoArrival({ sleepMs: 20_000, tag: 'slow' }, { moduleKey: 'test/echo_slow' }));
    await t.waitForStatus(job.id, ['timed_out']);
    const notification = await receiver.waitFor(is('/global', 'alert.opened', 'job_timed_out', 'bobs_burgers/test/echo_slow'), 'job_timed_out opened');
    assertSigned(notification);
    assert.equal(notification.body.details.errorCode, 'JOB_TIMEOUT');
  });

  it('unclassified arrival', async () => {
    const { moduleKey: _unknown, ...arrival } = t.echoArrival({ tag: 'nobody knows me' }, { hints: { subject: 'no module claims this' } });
    const { job } = await t.service.accept(arrival);
    assert.equal(job.status, 'unclassified');
    const notification = await receiver.waitFor(is('/global', 'alert.opened', 'unclassified', 'bobs_burgers'), 'unclassified opened');
    assertSigned(notification);
    assert.equal(notification.body.details.jobId, job.id);
  });

  it('silent source: opened while the grid is quiet, resolved when it sends again', async () => {
    // A grid whose last test/echo_quiet arrived 3 h ago, against an expected interval of 1 h.
    await sql`
      INSERT INTO sources (customer, category, type, group_name, first_received_at, last_received_at, last_job_id)
      VALUES ('bobs_burgers', 'test', 'echo_quiet', 'quiet_grid', now() - interval '3 days', now() - interval '3 hours', gen_random_uuid())`.execute(
      t.service.database.db,
    );
    const key = 'bobs_burgers/quiet_grid/test/echo_quiet';
    const opened = await receiver.waitFor(is('/global', 'alert.opened', 'silent_source', key), 'silent_source opened');
    assertSigned(opened);
    assert.equal(opened.body.details.expectedIntervalHours, 1);
    const { job } = await t.service.accept(t.echoArrival({ group: 'quiet_grid', tag: 'back' }, { moduleKey: 'test/echo_quiet', group: 'quiet_grid' }));
    await t.waitForStatus(job.id, ['succeeded']);
    assertSigned(await receiver.waitFor(is('/global', 'alert.resolved', 'silent_source', key), 'silent_source resolved'));
  });

  it('disk below the warning threshold (disk.warnFreeBytes), for global subscriptions only', async () => {
    const notification = await receiver.waitFor(is('/global', 'alert.opened', 'disk_low', `${node}/data`), 'disk_low opened');
    assertSigned(notification);
    assert.ok(['warning', 'refusing'].includes(notification.body.details.level));
    assert.ok(notification.body.details.freeBytes < 2 ** 52);
    assert.equal(notification.body.condition.customer, null);
  });

  it('spool stuck: acknowledged mail without its folder, resolved once the spool drains', async () => {
    // A plain file where the customer's inbox folder must go: the spool acknowledges, then cannot write the folder.
    const blocker = path.join(t.dataRoot, 'inbox', 'stuck_mail');
    await mkdir(path.dirname(blocker), { recursive: true });
    await writeFile(blocker, 'in the way');
    const sent = await sendWithNodemailer({
      port: t.service.smtpAddress!.port,
      from: 'grid@bobs.example',
      to: ['stuck_mail@ingest.hview.example'],
      raw: 'Subject: [echo] stuck\r\n\r\nhello\r\n',
    });
    assert.equal(sent.code, 250, sent.response);
    const opened = await receiver.waitFor(is('/global', 'alert.opened', 'spool_stuck', node), 'spool_stuck opened');
    assertSigned(opened);
    assert.equal(opened.body.details.backlog, 1);
    await rm(blocker);
    assertSigned(await receiver.waitFor(is('/global', 'alert.resolved', 'spool_stuck', node), 'spool_stuck resolved', 30_000));
  });

  it('no storm: one notification while a condition stays open, later failures in a digest, then resolved on success', async () => {
    const key = 'digest_co/test/echo';
    for (const tag of ['first', 'second', 'third']) {
      const { job } = await t.service.accept(t.echoArrival({ failPermanent: true, tag: `digest ${tag}` }, { customer: 'digest_co' }));
      await t.waitForStatus(job.id, ['failed']);
      if (tag === 'first') await receiver.waitFor(is('/global', 'alert.opened', 'job_failed', key), 'opened');
    }
    const digest = await receiver.waitFor(is('/global', 'alert.digest', 'job_failed', key), 'a digest');
    assertSigned(digest);
    // All three counted before the module works again (a success received before a failure is counted would clear it first).
    for (const deadline = Date.now() + 10_000; ; await new Promise((resolve) => setTimeout(resolve, 100))) {
      const open = await api.get('/api/1.0/alerts/conditions?open=true&kind=job_failed&customer=digest_co');
      if (open.body.conditions[0]?.occurrences === 3) break;
      assert.ok(Date.now() < deadline, JSON.stringify(open.body));
    }
    const { job } = await t.service.accept(t.echoArrival({ tag: 'digest works again' }, { customer: 'digest_co' }));
    await t.waitForStatus(job.id, ['succeeded']);
    const resolved = await receiver.waitFor(is('/global', 'alert.resolved', 'job_failed', key), 'resolved');
    assertSigned(resolved);
    assert.equal(resolved.body.condition.occurrences, 3);
    assert.ok(resolved.body.condition.resolvedAt !== null);
    const forKey = receiver.receivedAt('/global').filter((n) => n.body.condition.key === key && n.body.condition.kind === 'job_failed');
    assert.equal(forKey.filter((n) => n.body.type === 'alert.opened').length, 1, 'opened once');
    const digested = forKey.filter((n) => n.body.type === 'alert.digest').reduce((sum, n) => sum + n.body.count, 0);
    assert.equal(digested + resolved.body.count, 2, 'the two later failures are reported once, in digests or with the resolution');
    assert.equal(forKey.at(-1)!.body.type, 'alert.resolved');
  });

  it('per-customer subscriptions get only their customer’s conditions; kind filters hold; every delivery is recorded', async () => {
    const bobs = receiver.receivedAt('/bobs');
    assert.ok(bobs.length >= 4, `${bobs.length} for bobs_burgers`);
    assert.ok(bobs.every((n) => n.body.condition.customer === 'bobs_burgers'));
    assert.ok(!bobs.some((n) => n.body.condition.kind === 'disk_low' || n.body.condition.kind === 'spool_stuck'));
    assert.deepEqual(receiver.receivedAt('/other'), [], 'other_customer had no condition');
    const failedOnly = receiver.receivedAt('/failed-only');
    assert.ok(failedOnly.length >= 2 && failedOnly.every((n) => n.body.condition.kind === 'job_failed'));
    assert.ok(receiver.received.every((n) => n.signatureValid));

    // The receiver has a notification as soon as its POST arrives; the sender records the delivery
    // once the answer is back, a moment later: wait for the last ones to be recorded.
    let unlisted: string[];
    for (const deadline = Date.now() + 10_000; ; await new Promise((resolve) => setTimeout(resolve, 100))) {
      const listed = await api.get('/api/1.0/alerts/deliveries?status=delivered&limit=500');
      assert.equal(listed.status, 200, listed.text);
      const delivered = new Set(listed.body.deliveries.map((d: any) => `${d.eventId} ${d.target}`));
      unlisted = receiver.received.filter((n) => !delivered.has(`${n.eventId} ${receiver.url(n.path)}`)).map((n) => `${n.body.type} ${n.body.condition.kind}`);
      if (unlisted.length === 0 || Date.now() > deadline) break;
    }
    assert.deepEqual(unlisted, [], 'every notification received is listed as delivered');
    const open = await api.get('/api/1.0/alerts/conditions?open=true');
    assert.ok(open.body.conditions.some((c: any) => c.kind === 'disk_low' && c.key === `${node}/data`));

    const metrics = await (await fetch(`${t.service.httpUrl}/metrics`)).text();
    assert.match(metrics, /^dataprocessor_alert_notifications_total\{kind="job_failed",state="opened"\} [2-9]$/m);
    assert.match(metrics, /^dataprocessor_alert_deliveries_total\{outcome="delivered"\} \d+$/m);
    assert.match(metrics, /^dataprocessor_alerts_open\{kind="disk_low"\} 1$/m);
  });
});
