import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { tmpdir } from 'node:os';
import { Logging } from '../../src/logging/logging.js';
import { IngestError } from '../../src/core/ingest-error.js';
import { sqsNotificationHandler } from '../../src/s3events/handle-notification.js';
import { SqsConsumer, type MessageHandler, type SqsConsumerOptions } from '../../src/s3events/sqs-consumer.js';
import { objectIdempotencyKey } from '../../src/s3events/start-object-job.js';
import { startTestService, type TestService } from '../support/start-test-service.js';
import {
  BUCKET,
  FIXTURE_ARCHIVE,
  envelope,
  jobByKey,
  objectJobDepsFor,
  startS3Emulator,
  veritasStubModule,
  waitFor,
  type S3Emulator,
} from '../support/s3-test-env.js';

const logger = new Logging({ logDir: path.join(tmpdir(), 'dp-test-s3-log'), level: 'error', console: false }).for('sqs-consumer-test');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('SqsConsumer against fauxqs', () => {
  let env: S3Emulator;
  const consumers: SqsConsumer[] = [];
  let queueCount = 0;

  before(async () => {
    env = await startS3Emulator();
  });
  after(async () => {
    await env?.stop();
  });
  afterEach(async () => {
    for (const consumer of consumers.splice(0)) await consumer.stop(0);
  });

  function newQueue(): { name: string; url: string } {
    queueCount += 1;
    const name = `consumer-test-${queueCount}`;
    return { name, url: env.createQueue(name) };
  }

  function consumer(queueUrl: string, handleMessage: MessageHandler, options: Partial<SqsConsumerOptions> = {}): SqsConsumer {
    const created = new SqsConsumer({
      sqs: env.sqs,
      queueUrl,
      waitTimeSeconds: 1,
      maxMessages: 10,
      concurrency: 2,
      visibilityTimeoutSeconds: 2,
      logger,
      handleMessage,
      ...options,
    });
    consumers.push(created);
    created.start();
    return created;
  }

  it('keeps a message invisible while it is handled longer than the visibility timeout, then deletes it', async () => {
    const queue = newQueue();
    const competitorSaw: string[] = [];
    const slow = consumer(queue.url, async () => {
      await sleep(4500);
      return 'delete';
    });
    const messageId = await env.send(queue.url, 'slow work');
    await waitFor('message taken', () => (slow.stats.inFlight === 1 ? true : undefined));
    consumer(queue.url, async (message) => {
      competitorSaw.push(message.messageId);
      return 'keep';
    });
    await sleep(3000);
    const inFlight = env.queue(queue.name).inFlight;
    assert.deepEqual(
      inFlight.map((message) => [message.messageId, message.receiveCount]),
      [[messageId, 1]],
      'delivered once, still held',
    );
    await waitFor('message deleted', () => (env.queue(queue.name).inFlight.length === 0 && slow.stats.deleted === 1 ? true : undefined));
    assert.deepEqual(competitorSaw, [], 'no other consumer got the message while it was being handled');
    assert.ok(slow.stats.visibilityExtensions >= 3, `visibility extended ${slow.stats.visibilityExtensions} times`);
    assert.equal(env.queue(queue.name).ready, 0);
  });

  it('handles at most `concurrency` messages at once and receives no more while busy', async () => {
    const queue = newQueue();
    let running = 0;
    let peak = 0;
    const bounded = consumer(queue.url, async () => {
      running += 1;
      peak = Math.max(peak, running);
      await sleep(300);
      running -= 1;
      return 'delete';
    });
    for (let n = 0; n < 5; n += 1) await env.send(queue.url, `message ${n}`);
    await waitFor('all deleted', () => (bounded.stats.deleted === 5 ? true : undefined));
    assert.equal(peak, 2);
    assert.equal(bounded.stats.maxInFlight, 2);
    assert.equal(env.queue(queue.name).inFlight.length, 0);
  });

  it('leaves a message whose handler throws or says keep, and sees it again only after the visibility timeout', async () => {
    const queue = newQueue();
    const seenAt: number[] = [];
    const failing = consumer(queue.url, async () => {
      seenAt.push(Date.now());
      if (seenAt.length === 1) throw new Error('unexpected bug');
      return seenAt.length === 2 ? 'keep' : 'delete';
    });
    await env.send(queue.url, 'flaky');
    await waitFor('third delivery deleted', () => (failing.stats.deleted === 1 ? true : undefined), 15_000);
    assert.equal(seenAt.length, 3);
    assert.equal(failing.stats.kept, 2);
    for (let n = 1; n < seenAt.length; n += 1) assert.ok(seenAt[n]! - seenAt[n - 1]! >= 1500, 'redelivered a visibility timeout later, not at once');
  });

  it('backs off when receiving fails (unknown queue) instead of spinning', async () => {
    const broken = consumer(`${env.server.address}/000000000000/no-such-queue`, async () => 'delete');
    await sleep(1500);
    assert.ok(broken.stats.receiveCalls >= 1 && broken.stats.receiveCalls <= 3, `${broken.stats.receiveCalls} receive calls in 1.5 s`);
    // A call may still be in flight; every finished one failed and was counted (dataprocessor_sqs_receive_errors_total).
    assert.ok(broken.stats.receiveErrors >= 1 && broken.stats.receiveErrors >= broken.stats.receiveCalls - 1, JSON.stringify(broken.stats));
  });

  it('stops promptly during a long poll, and on stop aborts a handler past the grace period without deleting', async () => {
    const idle = new SqsConsumer({
      sqs: env.sqs,
      queueUrl: newQueue().url,
      waitTimeSeconds: 20,
      maxMessages: 10,
      concurrency: 1,
      visibilityTimeoutSeconds: 30,
      logger,
      handleMessage: async () => 'delete',
    });
    idle.start();
    await sleep(200);
    const stopStarted = Date.now();
    await idle.stop(5);
    assert.ok(Date.now() - stopStarted < 1000, 'a 20 s long poll does not delay the stop');

    const queue = newQueue();
    let aborted = false;
    const busy = new SqsConsumer({
      sqs: env.sqs,
      queueUrl: queue.url,
      waitTimeSeconds: 1,
      maxMessages: 10,
      concurrency: 1,
      visibilityTimeoutSeconds: 30,
      logger,
      handleMessage: async (_message, signal) => {
        await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
        aborted = true;
        return 'keep';
      },
    });
    busy.start();
    await env.send(queue.url, 'long download');
    await waitFor('message taken', () => (busy.stats.inFlight === 1 ? true : undefined));
    await busy.stop(0.2);
    assert.equal(aborted, true);
    assert.equal(busy.stats.deleted, 0);
    assert.equal(env.queue(queue.name).inFlight.length, 1, 'the message goes back to the queue after its visibility timeout');
  });

  describe('with the pipeline (real PostgreSQL)', () => {
    let t: TestService;
    before(async () => {
      t = await startTestService({ modules: [veritasStubModule], overrides: { worker: { enabled: false } } });
    });
    after(async () => {
      await t?.stop();
    });

    it('deletes the message only after the job row is committed; a transient failure keeps it for a retry', async () => {
      const queue = newQueue();
      const key = 'bobs_burgers/icecream_machine/commit-order.tar.gz';
      const object = await env.upload(key, await readFile(FIXTURE_ARCHIVE));
      const idempotencyKey = objectIdempotencyKey({ bucket: BUCKET, key, eTag: object.eTag });
      let attempts = 0;
      const deps = objectJobDepsFor(t, env.s3);
      const handler = sqsNotificationHandler({
        ...deps,
        objects: {
          ...deps.objects,
          accept: async (arrival) => {
            attempts += 1;
            if (attempts === 1) throw new IngestError('DATABASE_UNAVAILABLE', 'planned outage', { transient: true });
            return deps.objects.accept(arrival);
          },
        },
      });
      const checks: Array<{ disposition: string; jobCommitted: boolean; messageStillQueued: boolean }> = [];
      const pipelineConsumer = consumer(queue.url, async (message, signal) => {
        const disposition = await handler(message, signal);
        checks.push({
          disposition,
          jobCommitted: (await jobByKey(t, idempotencyKey)) !== undefined,
          messageStillQueued: env.queue(queue.name).inFlight.some((held) => held.messageId === message.messageId),
        });
        return disposition;
      });
      await env.send(queue.url, await envelope('aws_object_created', { key, ...object, sequencer: '00AA' }));
      await waitFor('deleted after the retry', () => (pipelineConsumer.stats.deleted === 1 ? true : undefined), 15_000);
      assert.deepEqual(checks, [
        { disposition: 'keep', jobCommitted: false, messageStillQueued: true },
        { disposition: 'delete', jobCommitted: true, messageStillQueued: true },
      ]);
      assert.equal(env.queue(queue.name).inFlight.length, 0);
      assert.equal((await jobByKey(t, idempotencyKey))?.status, 'queued');
    });
  });
});
