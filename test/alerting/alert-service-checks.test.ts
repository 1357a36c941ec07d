import assert from 'node:assert/strict';
import { apiClient, type ApiClient } from '../support/http-client.js';
import { startS3Emulator, veritasStubModule, type S3Emulator } from '../support/s3-test-env.js';
import { echoModule } from '../support/echo-module.js';
import { startTestService, TEST_ADMIN_KEY, type TestService } from '../support/start-test-service.js';
import { startWebhookReceiver, type ReceivedNotification, type WebhookReceiver } from '../support/webhook-receiver.js';

const MISSING_QUEUE = 'alert-uploads';

const is =
  (type: string, kind: string, key?: string) =>
  (n: ReceivedNotification): boolean =>
    n.body.type === type && n.body.condition.kind === kind && (key === undefined || n.body.condition.key === key);

describe('alerting: worker stuck and SQS errors (no worker, a consumer on a missing queue)', function () {
  this.timeout(60_000);
  let env: S3Emulator;
  let t: TestService;
  let receiver: WebhookReceiver;
  let api: ApiClient;

  before(async () => {
    env = await startS3Emulator();
    receiver = await startWebhookReceiver();
    // The queue's URL as fauxqs names queues, before the queue exists.
    const queueUrl = env.createQueue('probe').replace(/probe$/, MISSING_QUEUE);
    t = await startTestService({
      modules: [echoModule, veritasStubModule],
      overrides: {
        worker: { enabled: false },
        s3: env.settings({ sqs: { queueUrl, endpoint: env.server.address, waitTimeSeconds: 1 } }),
        alerts: {
          checkIntervalSeconds: 0.25,
          thresholds: { workerStuckSeconds: 1, sqsConsecutiveErrors: 1 },
          delivery: { pollSeconds: 0.1, retryBaseSeconds: 0.3, retryMaxSeconds: 1 },
        },
      },
    });
    api = apiClient(t.service.httpUrl!, TEST_ADMIN_KEY);
    const created = await api.post('/api/1.0/alerts/subscriptions', { url: receiver.url('/ops'), kinds: ['worker_stuck', 'sqs_errors'] });
    assert.equal(created.status, 201, created.text);
    receiver.setSecret('/ops', created.body.secret);
  });
  after(async () => {
    await t?.stop();
    await receiver?.close();
    await env?.stop();
  });

  it('worker stuck: a runnable job waits longer than alerts.thresholds.workerStuckSeconds; resolved when the queue moves', async () => {
    const { job } = await t.service.accept(t.echoArrival({ tag: 'nobody runs me' }));
    assert.equal(job.status, 'queued');
    const opened = await receiver.waitFor(is('alert.opened', 'worker_stuck', 'queue'), 'worker_stuck opened');
    assert.equal(opened.signatureValid, true, opened.signatureProblem ?? '');
    assert.equal(opened.body.details.oldestJobId, job.id);
    assert.ok(opened.body.details.waitingSeconds >= 1);
    assert.equal((await api.post(`/api/1.0/jobs/${job.id}/cancel`)).status, 200);
    const resolved = await receiver.waitFor(is('alert.resolved', 'worker_stuck', 'queue'), 'worker_stuck resolved');
    assert.equal(resolved.signatureValid, true);
  });

  it('SQS errors: receives from a missing queue keep failing; resolved once the queue exists', async () => {
    const key = `${t.config.node.name}/${MISSING_QUEUE}`;
    const opened = await receiver.waitFor(is('alert.opened', 'sqs_errors', key), 'sqs_errors opened');
    assert.equal(opened.signatureValid, true, opened.signatureProblem ?? '');
    assert.ok(opened.body.details.consecutiveReceiveErrors >= 1);
    assert.equal(opened.body.condition.scope.queue, MISSING_QUEUE);
    env.createQueue(MISSING_QUEUE);
    const resolved = await receiver.waitFor(is('alert.resolved', 'sqs_errors', key), 'sqs_errors resolved', 30_000);
    assert.equal(resolved.signatureValid, true);
    assert.ok(resolved.body.condition.occurrences >= opened.body.condition.occurrences);
  });
});
