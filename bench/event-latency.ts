// 4. Event latency: object uploaded to the S3 emulator → its job running in the service.
// fauxqs (S3 + SQS, in this process) stands in for the store; the service runs in its own process
// with its SQS consumer long-polling (waitTimeSeconds 20) and its worker on. fauxqs does not emit
// bucket notifications, so the bench sends S3's ObjectCreated record to the queue right after
// PutObject returns, as S3 would (S3's own delivery delay, typically well under a second, is not
// included). Uploads are spaced, so each one meets a consumer waiting in a long poll.
//
//   npx tsx bench/event-latency.ts [--full] [--database-url URL] [--profile DIR]
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SQSClient, SendMessageCommand } from '@aws-sdk/client-sqs';
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { startFauxqs } from 'fauxqs';
import { isMain, runStandalone, type BenchContext } from './support/bench-context.js';
import { currentLoad, quantile, type BenchRow } from './support/bench-result.js';
import { BENCH_CUSTOMER, startBenchService } from './support/bench-service.js';
import { withAdmin } from './support/scratch-database.js';

const BUCKET = 'veritas2hview';
const QUEUE = 'bench-object-events';
const REGION = 'us-east-1';
/** fauxqs checks no signatures; the SDK insists on some credentials. */
const CREDENTIALS = { accessKeyId: 'bench', secretAccessKey: 'bench' };
const ARCHIVE = new URL('../test/fixtures/upload/veritas2hview_small.tar.gz', import.meta.url);
const GAP_MS = 300;
const POLL_MS = 10;
const JOB_WAIT_MS = 60_000;
const TARGET_P95_MS = 1500;

/** An S3 `ObjectCreated:Put` record as S3 sends it to SQS (keys form-encoded, `/` kept). */
function objectCreatedEvent(args: { readonly key: string; readonly size: number; readonly eTag: string; readonly sequence: number }): string {
  return JSON.stringify({
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: REGION,
        eventTime: new Date().toISOString(),
        eventName: 'ObjectCreated:Put',
        s3: {
          s3SchemaVersion: '1.0',
          configurationId: 'bench',
          bucket: { name: BUCKET, arn: `arn:aws:s3:::${BUCKET}` },
          object: {
            key: encodeURIComponent(args.key).replaceAll('%20', '+').replaceAll('%2F', '/'),
            size: args.size,
            eTag: args.eTag,
            sequencer: args.sequence.toString(16).toUpperCase().padStart(18, '0'),
          },
        },
      },
    ],
  });
}

interface Timing {
  readonly stagedMs: number;
  readonly runningMs: number;
}

/** When the job for `key` was committed and claimed (database clock, same host), in epoch ms. */
async function jobTimes(databaseUrl: string, key: string): Promise<{ created: number; started: number } | undefined> {
  return withAdmin(databaseUrl, async (client) => {
    const deadline = Date.now() + JOB_WAIT_MS;
    while (Date.now() < deadline) {
      const row = (
        await client.query<{ created: number; started: number | null }>(
          `SELECT extract(epoch FROM created_at) * 1000 AS created, extract(epoch FROM started_at) * 1000 AS started
         FROM jobs WHERE source_ref->>'key' = $1 AND started_at IS NOT NULL`,
          [key],
        )
      ).rows[0];
      if (row?.started !== undefined && row.started !== null) return { created: Number(row.created), started: Number(row.started) };
      await sleep(POLL_MS);
    }
    return undefined;
  });
}

export async function eventLatencyBenchmark(context: BenchContext): Promise<BenchRow[]> {
  const uploads = context.full ? 100 : 20;
  const server = await startFauxqs({ port: 0, logger: false });
  server.createBucket(BUCKET);
  const queueUrl = server.createQueue(QUEUE, {}).queueUrl;
  const s3 = new S3Client({ endpoint: server.address, region: REGION, forcePathStyle: true, credentials: CREDENTIALS });
  const sqs = new SQSClient({ endpoint: server.address, region: REGION, credentials: CREDENTIALS });
  const body = await readFile(ARCHIVE);
  const bench = await startBenchService(context, {
    name: 'event-latency',
    worker: true,
    smtp: false,
    env: { AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey, AWS_REGION: REGION },
    config: { s3: { endpoint: server.address, region: REGION, forcePathStyle: true, sqs: { queueUrl, endpoint: server.address, waitTimeSeconds: 20 } } },
  });
  const timings: Timing[] = [];
  let lost = 0;
  let peakRssMiB: number | null;
  try {
    // Let the consumer settle into its first long poll.
    await sleep(1000);
    for (let upload = 1; upload <= uploads; upload += 1) {
      const key = `${BENCH_CUSTOMER}/icecream_machine/Veritas2Hview bench ${String(upload).padStart(4, '0')}.tar.gz`;
      const put = await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
      const uploadedAt = Date.now();
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: queueUrl,
          MessageBody: objectCreatedEvent({ key, size: body.byteLength, eTag: (put.ETag ?? '').replaceAll('"', ''), sequence: upload }),
        }),
      );
      const times = await jobTimes(bench.database.url, key);
      if (times === undefined) lost += 1;
      else timings.push({ stagedMs: times.created - uploadedAt, runningMs: times.started - uploadedAt });
      await sleep(GAP_MS);
    }
  } finally {
    peakRssMiB = await bench.close();
    s3.destroy();
    sqs.destroy();
    await server.stop();
  }
  const running = timings.map((timing) => timing.runningMs).sort((a, b) => a - b);
  const staged = timings.map((timing) => timing.stagedMs).sort((a, b) => a - b);
  const p50 = quantile(running, 0.5);
  const p95 = quantile(running, 0.95);
  context.log(
    `event-latency: ${timings.length}/${uploads} uploads; upload → running p50 ${p50.toFixed(0)} ms, p95 ${p95.toFixed(0)} ms, max ${running.at(-1)?.toFixed(0)} ms; upload → job committed p50 ${quantile(staged, 0.5).toFixed(0)} ms`,
  );
  return [
    {
      name: '4. Event latency: S3 upload → job running (SQS long poll)',
      reference: `${uploads} sequential uploads of the small export to fauxqs, ObjectCreated record sent on PutObject`,
      referenceValue: null,
      oursValue: p95,
      unit: 'ms (p95)',
      ratio: null,
      target: `p95 < ${TARGET_P95_MS} ms`,
      met: lost === 0 && p95 < TARGET_P95_MS,
      peakRssMiB,
      load: currentLoad(),
      notes: `p50 ${p50.toFixed(0)} ms, p95 ${p95.toFixed(0)} ms, max ${(running.at(-1) ?? Number.NaN).toFixed(0)} ms; upload → job committed p50 ${quantile(staged, 0.5).toFixed(0)} ms / p95 ${quantile(staged, 0.95).toFixed(0)} ms; ${lost} uploads without a running job after ${JOB_WAIT_MS / 1000} s`,
    },
  ];
}

if (isMain(import.meta.url)) await runStandalone(eventLatencyBenchmark);
