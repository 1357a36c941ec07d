import { z } from 'zod';
import { IngestError } from '../core/ingest-error.js';
import { isSequencer } from './compare-sequencers.js';
import { decodeObjectKey } from './decode-object-key.js';

/**
 * Parses an S3 event notification body as it reaches us: an SQS message body or an HTTP webhook
 * body. Accepted shapes: S3 records straight from S3 (AWS, Zenko/Ceph-style), S3 records wrapped
 * by SNS (raw delivery off, the S3 event is a JSON string in `Message`), MinIO webhook payloads
 * (top-level `EventName`/`Key` beside `Records`), the `s3:TestEvent`, and SNS subscription control
 * messages. Nothing is fetched here.
 */

export type NotificationSource = 'aws' | 'sns' | 'minio';

export interface ObjectCreatedRecord {
  /** Without MinIO's `s3:` prefix, so every source reads `ObjectCreated:Put` and so on. */
  readonly eventName: string;
  readonly eventTime: Date;
  readonly bucket: string;
  /** Decoded: the key exactly as stored in the bucket. */
  readonly key: string;
  readonly size?: number;
  /** Without surrounding quotes. A multipart ETag ends in `-N` and is not an MD5. */
  readonly eTag?: string;
  readonly versionId?: string;
  /** Upper-case hex; left out when the source sent something that is not hex. */
  readonly sequencer?: string;
  readonly region?: string;
  readonly source: NotificationSource;
}

export interface IgnoredRecord {
  readonly eventName: string;
  readonly reason: string;
  readonly bucket?: string;
  readonly key?: string;
}

export type S3Notification =
  | { readonly kind: 'test'; readonly bucket?: string }
  | {
      /** The webhook answers this itself, after verifying the SNS signature; never fetched here. */
      readonly kind: 'subscription-confirmation';
      readonly topicArn: string;
      readonly subscribeUrl: string;
      readonly token: string;
      readonly messageId: string;
    }
  | { readonly kind: 'records'; readonly created: readonly ObjectCreatedRecord[]; readonly ignored: readonly IgnoredRecord[] };

const SUPPORTED_EVENT_VERSION_MAJOR = 2;
const MAX_REPORTED_ISSUES = 3;
const EVENT_VERSION = /^(\d+)(?:\.\d+)*$/;
const BYTE_ORDER_MARK = '\uFEFF';

/** MinIO reports these as `ObjectCreated:*` although the object's content did not change. */
const METADATA_ONLY_CREATED_EVENTS = new Set([
  'ObjectCreated:PutRetention',
  'ObjectCreated:PutLegalHold',
  'ObjectCreated:PutTagging',
  'ObjectCreated:DeleteTagging',
]);

const s3RecordSchema = z.object({
  eventVersion: z.string(),
  eventSource: z.string().optional(),
  awsRegion: z.string().optional(),
  eventTime: z.iso.datetime({ offset: true }),
  eventName: z.string().min(1),
  s3: z.object({
    bucket: z.object({ name: z.string().min(1) }),
    object: z.object({
      key: z.string().min(1),
      size: z.number().int().nonnegative().optional(),
      eTag: z.string().optional(),
      versionId: z.string().nullable().optional(),
      sequencer: z.string().optional(),
    }),
  }),
});
type S3RecordInput = z.infer<typeof s3RecordSchema>;

const s3DocumentSchema = z.object({
  Records: z.array(z.unknown()).min(1),
  EventName: z.string().optional(),
});

const snsNotificationSchema = z.object({ Message: z.string() });

const snsSubscriptionSchema = z.object({
  TopicArn: z.string().min(1),
  SubscribeURL: z.url(),
  Token: z.string().min(1),
  MessageId: z.string().min(1),
});

export function parseS3Notification(body: string): S3Notification {
  const document = parseJson(body.startsWith(BYTE_ORDER_MARK) ? body.slice(1) : body, 'body');
  if (isSnsEnvelope(document)) return parseSnsEnvelope(document);
  return parseS3Document(document, { wrappedInSns: false, where: '' });
}

function parseSnsEnvelope(envelope: Record<string, unknown>): S3Notification {
  switch (envelope['Type']) {
    case 'Notification': {
      const { Message } = validate(snsNotificationSchema, envelope, 'SNS envelope');
      const inner = parseJson(Message, 'SNS Message');
      if (isSnsEnvelope(inner)) throw malformed('SNS Message holds another SNS envelope');
      return parseS3Document(inner, { wrappedInSns: true, where: 'SNS Message: ' });
    }
    case 'SubscriptionConfirmation': {
      const fields = validate(snsSubscriptionSchema, envelope, 'SNS SubscriptionConfirmation');
      return {
        kind: 'subscription-confirmation',
        topicArn: fields.TopicArn,
        subscribeUrl: fields.SubscribeURL,
        token: fields.Token,
        messageId: fields.MessageId,
      };
    }
    case 'UnsubscribeConfirmation':
      return {
        kind: 'records',
        created: [],
        ignored: [{ eventName: 'sns:UnsubscribeConfirmation', reason: 'SNS unsubscribe confirmation, nothing to do' }],
      };
    default:
      throw malformed(`SNS message Type ${JSON.stringify(envelope['Type'])} is not supported`);
  }
}

interface DocumentContext {
  readonly wrappedInSns: boolean;
  /** Prefix naming where the document sits, for error messages. */
  readonly where: string;
}

function parseS3Document(document: unknown, context: DocumentContext): S3Notification {
  if (!isPlainObject(document)) throw malformed(`${context.where}expected a JSON object`);
  if (document['Event'] === 's3:TestEvent' && !('Records' in document)) {
    const bucket = document['Bucket'];
    return typeof bucket === 'string' ? { kind: 'test', bucket } : { kind: 'test' };
  }
  if (!('Records' in document)) {
    throw malformed(`${context.where}no Records (and not an s3:TestEvent or SNS message)`);
  }
  const { Records: records, EventName: minioEventName } = validate(s3DocumentSchema, document, context.where);
  const bodySource: NotificationSource | undefined = context.wrappedInSns ? 'sns' : minioEventName === undefined ? undefined : 'minio';
  const created: ObjectCreatedRecord[] = [];
  const ignored: IgnoredRecord[] = [];
  records.forEach((raw, index) => {
    const outcome = parseRecord(raw, { where: `${context.where}Records[${index}]`, bodySource });
    if ('reason' in outcome) ignored.push(outcome);
    else created.push(outcome);
  });
  return { kind: 'records', created, ignored };
}

interface RecordContext {
  readonly where: string;
  readonly bodySource: NotificationSource | undefined;
}

function parseRecord(raw: unknown, context: RecordContext): ObjectCreatedRecord | IgnoredRecord {
  const record = validate(s3RecordSchema, raw, context.where);
  assertSupportedVersion(record.eventVersion, context.where);
  const eventName = record.eventName.startsWith('s3:') ? record.eventName.slice('s3:'.length) : record.eventName;
  const bucket = record.s3.bucket.name;
  const key = decodeKeyAt(record.s3.object.key, context.where);
  const reason = reasonToIgnore(eventName, key);
  if (reason !== undefined) return { eventName, reason, bucket, key };
  return {
    eventName,
    eventTime: new Date(record.eventTime),
    bucket,
    key,
    ...optionalObjectFields(record),
    source: context.bodySource ?? (record.eventSource?.startsWith('minio:') === true ? 'minio' : 'aws'),
  };
}

type OptionalObjectFields = Pick<ObjectCreatedRecord, 'size' | 'eTag' | 'versionId' | 'sequencer' | 'region'>;

function optionalObjectFields(record: S3RecordInput): OptionalObjectFields {
  const { size, eTag, versionId, sequencer } = record.s3.object;
  const unquotedETag = eTag?.replace(/^"(.*)"$/, '$1');
  const fields: { -readonly [K in keyof OptionalObjectFields]: OptionalObjectFields[K] } = {};
  if (size !== undefined) fields.size = size;
  if (unquotedETag) fields.eTag = unquotedETag;
  if (versionId) fields.versionId = versionId;
  if (sequencer !== undefined && isSequencer(sequencer)) fields.sequencer = sequencer.toUpperCase();
  if (record.awsRegion) fields.region = record.awsRegion;
  return fields;
}

function reasonToIgnore(eventName: string, key: string): string | undefined {
  if (eventName.startsWith('ObjectRemoved:')) return 'object removed';
  if (!eventName.startsWith('ObjectCreated:')) return 'not an object-created event';
  if (METADATA_ONLY_CREATED_EVENTS.has(eventName)) return 'metadata-only change, content unchanged';
  // Consoles create "folders" as empty objects named `prefix/`: nothing to ingest.
  if (key.endsWith('/')) return 'folder placeholder object';
  return undefined;
}

function assertSupportedVersion(eventVersion: string, where: string): void {
  const match = EVENT_VERSION.exec(eventVersion);
  if (match === null) throw malformed(`${where}.eventVersion ${JSON.stringify(eventVersion)} is not a version number`);
  if (Number(match[1]) !== SUPPORTED_EVENT_VERSION_MAJOR) {
    throw new IngestError(
      'NOTIFICATION_VERSION_UNSUPPORTED',
      `S3 notification ${where}.eventVersion ${JSON.stringify(eventVersion)} is not supported (expected ${SUPPORTED_EVENT_VERSION_MAJOR}.x)`,
      { details: { eventVersion } },
    );
  }
}

function decodeKeyAt(encodedKey: string, where: string): string {
  try {
    return decodeObjectKey(encodedKey);
  } catch (error) {
    if (!(error instanceof IngestError)) throw error;
    throw malformed(`${where}.s3.object.key: ${error.message}`, error);
  }
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw malformed(`${what} is not JSON (${reason})`, error);
  }
}

function validate<Schema extends z.ZodType>(schema: Schema, value: unknown, where: string): z.infer<Schema> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.slice(0, MAX_REPORTED_ISSUES).map((issue) => `${joinPath(where, issue.path)}: ${issue.message}`);
  throw malformed(problems.join('; '), result.error);
}

function joinPath(where: string, path: readonly PropertyKey[]): string {
  let joined = where.endsWith(': ') ? where.slice(0, -2) : where;
  for (const segment of path) {
    joined += typeof segment === 'number' ? `[${segment}]` : `${joined === '' ? '' : '.'}${String(segment)}`;
  }
  return joined === '' ? '(top level)' : joined;
}

function isSnsEnvelope(value: unknown): value is Record<string, unknown> {
  return isPlainObject(value) && typeof value['Type'] === 'string' && ('TopicArn' in value || 'Message' in value);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function malformed(problem: string, cause?: unknown): IngestError {
  return new IngestError('NOTIFICATION_MALFORMED', `S3 notification is malformed: ${problem}`, {
    cause,
  });
}
