// Types only: the SDK (about 25 MiB resident for both clients) is imported when a client is made,
// so an instance without S3 features never loads it (test/s3events/sdk-loaded-on-demand.test.ts).
import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Config } from '../config/config-schema.js';

export type S3Settings = Config['s3'];

/** Attempts per request, with the SDK's standard backoff and jitter (throttling, 5xx, resets). */
const MAX_REQUEST_ATTEMPTS = 4;
const CONNECT_TIMEOUT_MS = 10_000;
/** A GetObject body that stalls this long is abandoned (the message is retried later). */
const S3_IDLE_TIMEOUT_MS = 120_000;
/** A receive may legitimately wait `waitTimeSeconds`; anything much longer is a dead connection. */
const SQS_TIMEOUT_MARGIN_MS = 15_000;

/**
 * S3 client for AWS, MinIO, Zenko CloudServer or Ceph. Credentials come from the AWS SDK's
 * default chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, shared files, container or instance
 * roles): never from our config, so no secret sits in a config file.
 */
export async function createS3Client(settings: S3Settings): Promise<S3Client> {
  const sdk = await import('@aws-sdk/client-s3');
  return new sdk.S3Client({
    ...(settings.endpoint === null ? {} : { endpoint: settings.endpoint }),
    ...(settings.region === null ? {} : { region: settings.region }),
    forcePathStyle: settings.forcePathStyle,
    maxAttempts: MAX_REQUEST_ATTEMPTS,
    requestHandler: { connectionTimeout: CONNECT_TIMEOUT_MS, requestTimeout: S3_IDLE_TIMEOUT_MS },
  });
}

/** SQS client for the notification queue; same credential chain and region as S3. */
export async function createSqsClient(settings: S3Settings): Promise<SQSClient> {
  const sdk = await import('@aws-sdk/client-sqs');
  return new sdk.SQSClient({
    ...(settings.sqs.endpoint === null ? {} : { endpoint: settings.sqs.endpoint }),
    ...(settings.region === null ? {} : { region: settings.region }),
    maxAttempts: MAX_REQUEST_ATTEMPTS,
    requestHandler: { connectionTimeout: CONNECT_TIMEOUT_MS, requestTimeout: settings.sqs.waitTimeSeconds * 1000 + SQS_TIMEOUT_MARGIN_MS },
  });
}

/** An S3 client made on first use, and the way to close it if it was. */
export interface LazyS3Client {
  readonly get: () => Promise<S3Client>;
  destroy(): Promise<void>;
}

/**
 * The S3 client for features that may never run (the REST trigger, the webhook, presigning): the
 * SDK loads on the first request that needs it, not at start-up.
 */
export function lazyS3Client(settings: S3Settings): LazyS3Client {
  let made: Promise<S3Client> | undefined;
  return {
    get: () => (made ??= createS3Client(settings)),
    async destroy() {
      (await made?.catch(() => undefined))?.destroy();
    },
  };
}
