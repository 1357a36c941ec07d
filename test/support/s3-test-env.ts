import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SQSClient, SendMessageCommand } from '@aws-sdk/client-sqs';
import { startFauxqs, type FauxqsServer } from 'fauxqs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { tmpdir } from 'node:os';
import { findJobByIdempotencyKey } from '../../src/db/jobs-repository.js';
import type { JobRow } from '../../src/db/database-schema.js';
import { Logging } from '../../src/logging/logging.js';
import { ModuleRegistry } from '../../src/modules/registry.js';
import type { IngestModule } from '../../src/modules/types.js';
import { acceptArrival } from '../../src/pipeline/accept.js';
import { objectArrivals } from '../../src/pipeline/arrivals/object-arrivals.js';
import type { PipelineDeps } from '../../src/pipeline/pipeline-deps.js';
import type { ObjectJobDeps } from '../../src/s3events/start-object-job.js';
import type { TestService } from './start-test-service.js';
import { parseResult } from '../../src/modules/parse-result.js';

export const BUCKET = 'veritas2hview';
export const REGION = 'us-east-1';
/** The seed's example upload; note the spaces. */
export const FIXTURE_KEY = 'bobs_burgers/icecream_machine/Veritas2Hview nbumaster01 2023-01-13.tar.gz';
export const FIXTURE_ARCHIVE = new URL('../fixtures/upload/veritas2hview_small.tar.gz', import.meta.url);
const FIXTURE_DIR = new URL('../fixtures/s3events/', import.meta.url);
const TEST_CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };

/**
 * Stands in for the real veritas2hview module (another helper's work): the S3 tests only need the
 * job to exist under `hydrastor/veritas2hview`; they run with the worker off, so it never runs.
 */
export const veritasStubModule = {
  category: 'hydrastor',
  type: 'veritas2hview',
  version: 1,
  group: () => 'none',
  parse: async () => parseResult({}),
  upsert: async () => ({}),
} satisfies IngestModule<object>;

export type FixtureName = 'aws_object_created' | 'aws_object_removed' | 'aws_sns_wrapped' | 'aws_test_event' | 'minio_webhook_put';

export interface ObjectFacts {
  readonly key: string;
  readonly eTag?: string;
  readonly size?: number;
  readonly sequencer?: string;
  readonly versionId?: string;
}

export interface S3Emulator {
  readonly server: FauxqsServer;
  readonly s3: S3Client;
  readonly sqs: SQSClient;
  /** The service's `s3` config block for this emulator (merge per test). */
  settings(extra?: Record<string, unknown>): Record<string, unknown>;
  createQueue(name: string, attributes?: Record<string, string>): string;
  upload(key: string, body: Uint8Array | string): Promise<{ eTag: string; size: number }>;
  send(queueUrl: string, body: string): Promise<string>;
  /** Messages of a queue as fauxqs holds them (not consumed): ready and in flight. */
  queue(name: string): { ready: number; inFlight: Array<{ messageId: string; receiveCount: number }> };
  stop(): Promise<void>;
}

/**
 * fauxqs (S3 + SQS in-process, port 0) with real SDK clients. The service builds its own clients
 * from config with the SDK's default credential chain, so the variables it reads are set here for
 * the duration of the test file (fauxqs does not check signatures).
 */
export async function startS3Emulator(): Promise<S3Emulator> {
  const setEnv = process.env.AWS_ACCESS_KEY_ID === undefined;
  if (setEnv) {
    process.env.AWS_ACCESS_KEY_ID = TEST_CREDENTIALS.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = TEST_CREDENTIALS.secretAccessKey;
  }
  const server = await startFauxqs({ port: 0, logger: false });
  server.createBucket(BUCKET);
  const s3 = new S3Client({ endpoint: server.address, region: REGION, forcePathStyle: true, credentials: TEST_CREDENTIALS });
  const sqs = new SQSClient({ endpoint: server.address, region: REGION, credentials: TEST_CREDENTIALS });
  return {
    server,
    s3,
    sqs,
    settings: (extra = {}) => ({ endpoint: server.address, region: REGION, forcePathStyle: true, ...extra }),
    createQueue: (name, attributes = {}) => server.createQueue(name, { attributes }).queueUrl,
    async upload(key, body) {
      const bytes = typeof body === 'string' ? Buffer.from(body) : body;
      const put = await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: bytes }));
      return { eTag: (put.ETag ?? '').replaceAll('"', ''), size: bytes.byteLength };
    },
    async send(queueUrl, body) {
      return (await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body }))).MessageId ?? '';
    },
    queue(name) {
      const state = server.inspectQueue(name);
      if (state === undefined) throw new Error(`no queue ${name}`);
      return {
        ready: state.messages.ready.length,
        inFlight: state.messages.inflight.map((entry) => ({ messageId: entry.message.messageId, receiveCount: entry.message.approximateReceiveCount })),
      };
    },
    async stop() {
      s3.destroy();
      sqs.destroy();
      await server.stop();
      if (setEnv) {
        delete process.env.AWS_ACCESS_KEY_ID;
        delete process.env.AWS_SECRET_ACCESS_KEY;
      }
    },
  };
}

/** A fixture envelope rewritten to name `object` (key encoded the way each sender encodes it). */
export async function envelope(name: FixtureName, object: ObjectFacts): Promise<string> {
  const document = JSON.parse(await readFile(new URL(`${name}.json`, FIXTURE_DIR), 'utf8')) as Record<string, unknown>;
  if (name === 'aws_test_event') return JSON.stringify(document);
  if (name === 'aws_sns_wrapped') {
    const inner = JSON.parse(document.Message as string) as Record<string, unknown>;
    rewriteRecords(inner, object, awsKeyEncoding);
    return JSON.stringify({ ...document, Message: JSON.stringify(inner) });
  }
  if (name === 'minio_webhook_put') {
    document.Key = `${BUCKET}/${object.key}`;
    rewriteRecords(document, object, minioKeyEncoding);
    return JSON.stringify(document);
  }
  rewriteRecords(document, object, awsKeyEncoding);
  return JSON.stringify(document);
}

/** AWS: form-style, `/` kept. */
export function awsKeyEncoding(key: string): string {
  return encodeURIComponent(key).replaceAll('%20', '+').replaceAll('%2F', '/');
}

/** MinIO: form-style with `/` as `%2F`. */
function minioKeyEncoding(key: string): string {
  return encodeURIComponent(key).replaceAll('%20', '+');
}

function rewriteRecords(document: Record<string, unknown>, object: ObjectFacts, encode: (key: string) => string): void {
  for (const record of document.Records as Array<{ s3: { object: Record<string, unknown> } }>) {
    const target = record.s3.object;
    target.key = encode(object.key);
    for (const field of ['eTag', 'size', 'sequencer', 'versionId'] as const) {
      if (object[field] === undefined) delete target[field];
      else target[field] = object[field];
    }
  }
}

/** The pipeline and object-job deps a test wires around its own consumer (the service's own are private). */
export function objectJobDepsFor(t: TestService, s3: S3Client, overrides: Partial<ObjectJobDeps> = {}): ObjectJobDeps {
  const logger = new Logging({ logDir: path.join(tmpdir(), 'dp-test-s3-log'), level: 'error', console: false }).for('s3-test');
  const deps: PipelineDeps = { db: t.service.database.db, config: t.config, registry: new ModuleRegistry([veritasStubModule]), logger };
  return {
    s3: () => Promise.resolve(s3),
    routes: t.config.s3.routes,
    maxObjectBytes: t.config.s3.maxObjectBytes,
    logger,
    objects: objectArrivals(deps, (arrival) => acceptArrival(deps, arrival)),
    ...overrides,
  };
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export async function jobByKey(t: TestService, idempotencyKey: string): Promise<JobRow | undefined> {
  const job = await findJobByIdempotencyKey(t.service.database.db, idempotencyKey);
  return job === undefined || job.status === 'staging' ? undefined : job;
}
