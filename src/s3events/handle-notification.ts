import { IngestError, toIngestError } from '../core/ingest-error.js';
import { parseS3Notification, type S3Notification } from './notification.js';
import type { MessageHandler } from './sqs-consumer.js';
import { startObjectJob, type ObjectJobDeps, type ObjectJobOutcome } from './start-object-job.js';

export interface RecordResult {
  readonly bucket: string;
  readonly key: string;
  readonly outcome: ObjectJobOutcome['kind'] | 'ignored' | 'error';
  readonly jobId?: string;
  readonly reason?: string;
}

export interface NotificationResult {
  readonly kind: S3Notification['kind'];
  /** True when every record is settled (job committed, or nothing to do): delete / answer 2xx. */
  readonly acknowledge: boolean;
  readonly records: readonly RecordResult[];
  /** The first failure that keeps the notification from being acknowledged. */
  readonly error?: IngestError;
}

/**
 * One notification body (SQS message or webhook request) → jobs. Throws NOTIFICATION_MALFORMED
 * or NOTIFICATION_VERSION_UNSUPPORTED for a body that cannot be read. Records are handled one
 * after the other and a failed one does not stop the rest: when the notification comes again,
 * the settled ones are duplicates.
 */
export async function handleNotificationBody(
  deps: ObjectJobDeps,
  args: {
    readonly body: string;
    readonly source: 's3' | 'webhook';
    readonly messageId?: string;
    readonly signal?: AbortSignal;
  },
): Promise<NotificationResult> {
  const logger = deps.logger.child({ source: args.source, ...(args.messageId === undefined ? {} : { messageId: args.messageId }) });
  const notification = parseS3Notification(args.body);
  if (notification.kind === 'test') {
    logger.info('s3:TestEvent received: notifications reach us; nothing to do', { bucket: notification.bucket });
    return { kind: 'test', acknowledge: true, records: [] };
  }
  if (notification.kind === 'subscription-confirmation') {
    // Fetching a URL named by an unauthenticated body would be an SSRF hole: a person confirms it.
    logger.warn('SNS subscription confirmation received: confirm it by opening SubscribeURL (not fetched automatically)', {
      topicArn: notification.topicArn,
      subscribeUrl: notification.subscribeUrl,
    });
    return { kind: 'subscription-confirmation', acknowledge: true, records: [] };
  }

  const records: RecordResult[] = [];
  let firstError: IngestError | undefined;
  for (const ignored of notification.ignored) {
    logger.info('S3 event ignored', { eventName: ignored.eventName, reason: ignored.reason, bucket: ignored.bucket, key: ignored.key });
    records.push({ bucket: ignored.bucket ?? '', key: ignored.key ?? '', outcome: 'ignored', reason: ignored.reason });
  }
  for (const record of notification.created) {
    try {
      const outcome = await startObjectJob(deps, {
        source: args.source,
        bucket: record.bucket,
        key: record.key,
        eventName: record.eventName,
        eventTime: record.eventTime,
        ...(record.versionId === undefined ? {} : { versionId: record.versionId }),
        ...(record.eTag === undefined ? {} : { eTag: record.eTag }),
        ...(record.size === undefined ? {} : { size: record.size }),
        ...(record.sequencer === undefined ? {} : { sequencer: record.sequencer }),
        sourceRef: { notification: record.source, ...(args.messageId === undefined ? {} : { messageId: args.messageId }) },
        mode: 'background',
        ...(args.signal === undefined ? {} : { signal: args.signal }),
      });
      records.push(resultOf(record, outcome));
    } catch (error) {
      const ingestError = toIngestError(error);
      firstError ??= ingestError;
      logger.warn('S3 event not settled; the notification will come again', {
        bucket: record.bucket,
        key: record.key,
        code: ingestError.code,
        transient: ingestError.transient,
        error: ingestError.message,
      });
      records.push({ bucket: record.bucket, key: record.key, outcome: 'error', reason: `${ingestError.code}: ${ingestError.message}` });
      if (!ingestError.transient) {
        deps.refused?.({
          source: args.source === 'webhook' ? 'webhook' : 's3',
          stage: 'event',
          code: ingestError.code,
          message: ingestError.message,
          reply: args.source === 'webhook' ? 'answered with an error' : 'left on the queue (dead-letter queue after maxReceiveCount)',
          details: {
            bucket: record.bucket,
            key: record.key,
            eventName: record.eventName,
            ...(args.messageId === undefined ? {} : { messageId: args.messageId }),
          },
        });
      }
    }
  }
  return { kind: 'records', acknowledge: firstError === undefined, records, ...(firstError === undefined ? {} : { error: firstError }) };
}

/**
 * The SQS consumer's handler: delete once every record is settled. A body that cannot be read is
 * logged with its message id and kept, so the queue's redrive policy moves it to the dead-letter
 * queue after `maxReceiveCount` deliveries (each one a visibility timeout apart: no hot loop).
 */
export function sqsNotificationHandler(deps: ObjectJobDeps): MessageHandler {
  return async (message, signal) => {
    try {
      const result = await handleNotificationBody(deps, { body: message.body, source: 's3', messageId: message.messageId, signal });
      return result.acknowledge ? 'delete' : 'keep';
    } catch (error) {
      const ingestError = toIngestError(error);
      deps.logger.warn('unreadable S3 notification left for the redrive policy (dead-letter queue)', {
        messageId: message.messageId,
        receiveCount: message.receiveCount,
        code: ingestError.code,
        error: ingestError.message,
      });
      deps.refused?.({
        source: 's3',
        stage: 'event',
        code: ingestError.code,
        message: ingestError.message,
        reply: 'left on the queue (dead-letter queue after maxReceiveCount)',
        details: { messageId: message.messageId, receiveCount: message.receiveCount, body: message.body.slice(0, 500) },
      });
      return 'keep';
    }
  };
}

function resultOf(record: { readonly bucket: string; readonly key: string }, outcome: ObjectJobOutcome): RecordResult {
  switch (outcome.kind) {
    case 'created':
    case 'duplicate':
      return { bucket: record.bucket, key: record.key, outcome: outcome.kind, jobId: outcome.job.id };
    case 'failed':
      return { bucket: record.bucket, key: record.key, outcome: 'failed', jobId: outcome.job.id, reason: outcome.job.error_message ?? outcome.code };
    case 'stale':
      return { bucket: record.bucket, key: record.key, outcome: 'stale', reason: `a newer event (sequencer ${outcome.newestSequencer}) was already accepted` };
    case 'superseded':
      return { bucket: record.bucket, key: record.key, outcome: 'superseded', reason: outcome.reason };
  }
}
