import { PurgeQueueCommand } from '@aws-sdk/client-sqs';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { sql } from 'kysely';
import type { JobRow } from '../../src/db/database-schema.js';
import { findS3Object } from '../../src/db/s3-objects-repository.js';
import { objectIdempotencyKey } from '../../src/s3events/start-object-job.js';
import { startTestService, type TestService } from '../support/start-test-service.js';
import {
  BUCKET,
  FIXTURE_ARCHIVE,
  FIXTURE_KEY,
  envelope,
  jobByKey,
  startS3Emulator,
  veritasStubModule,
  waitFor,
  type S3Emulator,
} from '../support/s3-test-env.js';
import { readJobManifest } from '../../src/db/job-manifest.js';

const QUEUE = 'veritas2hview-events';
const VISIBILITY_SECONDS = 2;

describe('S3 notifications through SQS (fauxqs, the real service and PostgreSQL)', () => {
  let env: S3Emulator;
  let t: TestService;
  let queueUrl: string;
  let archive: Buffer;

  before(async () => {
    env = await startS3Emulator();
    queueUrl = env.createQueue(QUEUE);
    archive = await readFile(FIXTURE_ARCHIVE);
    t = await startTestService({
      modules: [veritasStubModule],
      overrides: {
        worker: { enabled: false },
        s3: env.settings({ sqs: { queueUrl, endpoint: env.server.address, waitTimeSeconds: 1, visibilityTimeoutSeconds: VISIBILITY_SECONDS } }),
      },
    });
  });
  after(async () => {
    await t?.stop();
    await env?.stop();
  });

  const messageGone = (messageId: string) => () => {
    const queue = env.queue(QUEUE);
    return queue.ready === 0 && !queue.inFlight.some((message) => message.messageId === messageId) ? true : undefined;
  };
  const jobsForKey = async (key: string): Promise<JobRow[]> =>
    t.service.database.db
      .selectFrom('jobs')
      .selectAll()
      .where(sql<boolean>`source_ref->>'key' = ${key}`)
      .execute();
  const countJobs = async (): Promise<number> =>
    Number(
      (
        await t.service.database.db
          .selectFrom('jobs')
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  async function uploadAndAnnounce(
    fixture: 'aws_object_created' | 'aws_sns_wrapped' | 'minio_webhook_put',
    key: string,
    sequencer = '0063C0C1E1A2B3C4D5',
  ): Promise<{ job: JobRow; messageId: string }> {
    const { eTag, size } = await env.upload(key, archive);
    const messageId = await env.send(queueUrl, await envelope(fixture, { key, eTag, size, sequencer }));
    const job = await waitFor(`job for ${key}`, () => jobByKey(t, objectIdempotencyKey({ bucket: BUCKET, key, eTag })));
    await waitFor('message deleted', messageGone(messageId));
    return { job, messageId };
  }

  it('stages the announced object byte for byte in inbox/ and queues its job, then deletes the message', async () => {
    const { job, messageId } = await uploadAndAnnounce('aws_object_created', FIXTURE_KEY);
    assert.equal(job.status, 'queued');
    assert.equal(job.source, 's3');
    assert.deepEqual([job.customer, job.category, job.type, job.group_name], ['bobs_burgers', 'hydrastor', 'veritas2hview', 'icecream_machine']);
    const staged = await readFile(path.join(t.dataRoot, 'inbox', job.relative_path, 'object.tar.gz'));
    assert.ok(staged.equals(archive), 'the staged original is identical to the uploaded object');
    const files = readJobManifest(job).files;
    assert.equal(files[0]?.originalName, 'Veritas2Hview nbumaster01 2023-01-13.tar.gz');
    const ref = job.source_ref as Record<string, unknown>;
    assert.equal(ref.messageId, messageId);
    assert.equal(ref.sequencer, '0063C0C1E1A2B3C4D5');
    assert.equal(ref.notification, 'aws');
    const remembered = await findS3Object(t.service.database.db, { bucket: BUCKET, key: FIXTURE_KEY });
    assert.equal(remembered?.lastJobId, job.id);
    assert.equal(remembered?.sequencer, '0063C0C1E1A2B3C4D5');
  });

  it('unwraps SNS envelopes', async () => {
    const key = 'bobs_burgers/icecream_machine/Veritas2Hview nbumaster01 2023-01-14.tar.gz';
    const { job } = await uploadAndAnnounce('aws_sns_wrapped', key);
    assert.equal((job.source_ref as Record<string, unknown>).notification, 'sns');
    assert.equal(job.group_name, 'icecream_machine');
  });

  it('reads MinIO records, whose keys are percent-encoded with / as %2F (+, %, non-ASCII survive)', async () => {
    const key = 'bobs_burgers/icecream_machine/a+b 100% 日本.tar.gz';
    const { job } = await uploadAndAnnounce('minio_webhook_put', key);
    assert.equal((job.source_ref as Record<string, unknown>).notification, 'minio');
    assert.equal((job.source_ref as Record<string, unknown>).key, key);
    assert.ok((await readFile(path.join(t.dataRoot, 'inbox', job.relative_path, 'object.tar.gz'))).equals(archive));
  });

  it('deletes s3:TestEvent and ObjectRemoved messages without making a job', async () => {
    const before = await countJobs();
    const testEvent = await env.send(queueUrl, await envelope('aws_test_event', { key: FIXTURE_KEY }));
    const removed = await env.send(queueUrl, await envelope('aws_object_removed', { key: FIXTURE_KEY, sequencer: '0063C0C1E1A2B3C4FF' }));
    await waitFor('test event deleted', messageGone(testEvent));
    await waitFor('removal deleted', messageGone(removed));
    assert.equal(await countJobs(), before);
  });

  it('makes one job of the same event delivered three times, and deletes all three messages', async () => {
    const key = 'bobs_burgers/icecream_machine/triple.tar.gz';
    const { eTag, size } = await env.upload(key, archive);
    const body = await envelope('aws_object_created', { key, eTag, size, sequencer: '0063C0C1E1A2B3C4D5' });
    const ids = [await env.send(queueUrl, body), await env.send(queueUrl, body), await env.send(queueUrl, body)];
    for (const id of ids) await waitFor('duplicate deleted', messageGone(id));
    assert.equal((await jobsForKey(key)).length, 1);
  });

  it('records an older sequencer for a key already processed as stale and does not apply it', async () => {
    const key = 'bobs_burgers/icecream_machine/overwritten.tar.gz';
    const older = await env.upload(key, 'first version');
    const newer = await env.upload(key, archive);
    // Newer event first (…E5), then the older one (…E4FFFF: longer, but older once right-padded).
    const newEvent = await env.send(queueUrl, await envelope('aws_object_created', { key, ...newer, sequencer: '0055AED6DCD90281E5' }));
    await waitFor('newer event settled', messageGone(newEvent));
    const oldEvent = await env.send(queueUrl, await envelope('aws_object_created', { key, ...older, sequencer: '0055AED6DCD90281E4FFFF' }));
    await waitFor('stale event deleted', messageGone(oldEvent));
    const jobs = await jobsForKey(key);
    assert.equal(jobs.length, 1);
    assert.equal((jobs[0]?.source_ref as Record<string, unknown>).eTag, newer.eTag);
    const remembered = await findS3Object(t.service.database.db, { bucket: BUCKET, key });
    assert.equal(remembered?.staleEvents, 1);
    assert.equal(remembered?.lastStaleSequencer, '0055AED6DCD90281E4FFFF');
    assert.equal(remembered?.sequencer, '0055AED6DCD90281E5');
  });

  it('fails the job with a clear reason when the announced object is gone, and deletes the message', async () => {
    const key = 'bobs_burgers/icecream_machine/deleted-before-get.tar.gz';
    const messageId = await env.send(
      queueUrl,
      await envelope('aws_object_created', { key, eTag: '0123456789abcdef0123456789abcdef', size: 10, sequencer: '0063C0C1E1A2B3C4D6' }),
    );
    await waitFor('message deleted', messageGone(messageId));
    const [job] = await jobsForKey(key);
    assert.equal(job?.status, 'failed');
    assert.equal(job?.error_code, 'OBJECT_MISSING');
    assert.match(job?.error_message ?? '', /s3:\/\/veritas2hview\/bobs_burgers\/icecream_machine\/deleted-before-get\.tar\.gz does not exist/);
    const note = JSON.parse(await readFile(path.join(t.dataRoot, 'inbox', job!.relative_path, 'object-missing.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(note.key, key);
    assert.equal(note.code, 'OBJECT_MISSING');
  });

  it('leaves malformed bodies for the redrive policy without a hot loop, and keeps consuming', async () => {
    const malformed = await env.send(queueUrl, 'this is not JSON {');
    const newMajor = await env.send(queueUrl, (await envelope('aws_object_created', { key: FIXTURE_KEY, eTag: 'x' })).replace('"2.1"', '"3.0"'));
    const started = Date.now();
    const { job } = await uploadAndAnnounce('aws_object_created', 'bobs_burgers/icecream_machine/after-garbage.tar.gz');
    assert.equal(job.status, 'queued', 'a good message after the bad ones is still handled');
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, VISIBILITY_SECONDS * 1000 + 500 - (Date.now() - started))));
    const queue = env.queue(QUEUE);
    const held = queue.inFlight.filter((message) => [malformed, newMajor].includes(message.messageId));
    assert.equal(held.length + queue.ready, 2, 'both bad messages are still in the queue (not deleted)');
    const elapsedSeconds = (Date.now() - started) / 1000;
    for (const message of held) {
      // One receive per visibility timeout at most: the bad message is not spun on.
      assert.ok(
        message.receiveCount <= Math.ceil(elapsedSeconds / VISIBILITY_SECONDS) + 1,
        `received ${message.receiveCount} times in ${elapsedSeconds.toFixed(1)} s`,
      );
    }
    await env.sqs.send(new PurgeQueueCommand({ QueueUrl: queueUrl }));
  });

  it('counts received, deleted and kept messages in /metrics (dataprocessor_sqs_messages_*_total)', async () => {
    const scrape = async (): Promise<Record<string, number>> => {
      const text = await (await fetch(`${t.service.httpUrl}/metrics`)).text();
      const read = (name: string): number => Number(new RegExp(`^${name}\\{queue="${QUEUE}"\\} (\\d+)$`, 'm').exec(text)?.[1] ?? NaN);
      return {
        received: read('dataprocessor_sqs_messages_received_total'),
        deleted: read('dataprocessor_sqs_messages_deleted_total'),
        kept: read('dataprocessor_sqs_messages_kept_total'),
        receiveErrors: read('dataprocessor_sqs_receive_errors_total'),
      };
    };
    const before = await scrape();
    assert.ok((before.received ?? 0) > 0 && (before.deleted ?? 0) > 0, JSON.stringify(before));
    await uploadAndAnnounce('aws_object_created', 'bobs_burgers/icecream_machine/metrics.tar.gz');
    const garbage = await env.send(queueUrl, 'not JSON either');
    await waitFor('the garbage handled once', () => (env.queue(QUEUE).inFlight.some((message) => message.messageId === garbage) ? true : undefined));
    const after = await waitFor('kept counted', async () => {
      const counts = await scrape();
      return counts.kept! > before.kept! ? counts : undefined;
    });
    assert.equal(after.deleted, before.deleted! + 1, JSON.stringify({ before, after }));
    assert.ok(after.received! >= before.received! + 2, JSON.stringify({ before, after }));
    assert.equal(after.receiveErrors, 0);
    await env.sqs.send(new PurgeQueueCommand({ QueueUrl: queueUrl }));
  });
});
