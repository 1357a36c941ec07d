import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';
import type { SenderAuthRequirement } from '../core/sender-auth-requirement.js';

/** Every state a job can be in. `staging` is internal: the row exists but the original is not yet in place. */
export const JOB_STATUSES = ['staging', 'queued', 'running', 'succeeded', 'failed', 'cancelled', 'timed_out', 'unclassified', 'held'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];
/** States a job never leaves by itself. */
export const FINAL_JOB_STATUSES: readonly JobStatus[] = ['succeeded', 'failed', 'cancelled', 'timed_out'];

export const JOB_SOURCES = ['smtp', 's3', 'webhook', 'api', 'replay', 'reconcile', 'cli', 'mailhandler', 'recovery'] as const;
export type JobSource = (typeof JOB_SOURCES)[number];

type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
type Json = ColumnType<unknown, string, string>;

export interface CustomersTable {
  id: Generated<string>;
  slug: string;
  name: string;
  ingest_addresses: ColumnType<string[], string[] | undefined, string[]>;
  allowed_senders: ColumnType<string[], string[] | undefined, string[]>;
  s3_prefixes: ColumnType<string[], string[] | undefined, string[]>;
  created_at: CreatedAt;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
  /** Set while the customer is disabled (migration 0011): arrivals and its keys refused, data kept. */
  disabled_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  /** The verdict its mail must carry (migration 0013); null = none. */
  require_sender_auth: ColumnType<SenderAuthRequirement | null, SenderAuthRequirement | null | undefined, SenderAuthRequirement | null>;
}

/** One row per listed address or S3 prefix: the primary key makes each route one customer's. */
export interface CustomerRoutesTable {
  kind: 'address' | 's3_prefix';
  route: string;
  customer_id: string;
}

export interface ApiKeysTable {
  id: Generated<string>;
  key_hash: Buffer;
  customer_id: string | null;
  role: 'admin' | 'customer';
  label: string;
  created_at: CreatedAt;
  revoked_at: Date | null;
}

export interface JobsTable {
  id: Generated<string>;
  idempotency_key: string;
  source: JobSource;
  source_ref: Json;
  customer: string;
  category: string;
  type: string;
  group_name: string;
  status: JobStatus;
  attempts: ColumnType<number, number | undefined, number>;
  max_attempts: number;
  timeout_seconds: number;
  error_code: string | null;
  error_message: string | null;
  stats: Json;
  progress: ColumnType<unknown, string | null | undefined, string | null>;
  /** Folder of the original, relative to `<dataRoot>/inbox` (the same relative path is used under tmp/ and archive/). */
  relative_path: string;
  staging_id: string;
  manifest: Json;
  node: string;
  received_at: Date;
  created_at: CreatedAt;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
  run_after: ColumnType<Date, Date | string | undefined, Date | string>;
  started_at: Date | null;
  finished_at: Date | null;
  deadline_at: Date | null;
  lease_owner: string | null;
  lease_expires_at: Date | null;
  /** Last lease renewal of the current attempt (migration 0006): the sweeper's proof that a job ran past its deadline. */
  heartbeat_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  cancel_requested_at: Date | null;
  /** `{ count, items }` of the last finished run (migration 0008); null before any. */
  parse_issues: ColumnType<unknown, string | null | undefined, string | null>;
  /** When retention removed the job's inbox/ originals while the row stays (migration 0010). */
  inbox_purged_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  /** When retention removed the job's archive copy while the row stays (migration 0010). */
  archive_purged_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  /** The verified copy of the archive in a bucket (migration 0017, `archive.s3`); all null while there is none. */
  archive_bucket: ColumnType<string | null, string | null | undefined, string | null>;
  archive_key_prefix: ColumnType<string | null, string | null | undefined, string | null>;
  archive_object_bytes: ColumnType<string | null, number | null | undefined, number | null>;
  archive_objects: ColumnType<number | null, number | null | undefined, number | null>;
  archive_uploaded_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  /** When the upload task was last done with the job's archive copy (migration 0017). */
  archive_settled_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

export interface JobEventsTable {
  id: Generated<string>;
  job_id: string;
  at: CreatedAt;
  kind: string;
  status: JobStatus | null;
  message: string;
  data: ColumnType<unknown, string | undefined, string>;
}

/** An operator's hold (migration 0011): matching jobs become `held` instead of `queued`; NULL fields match anything. */
export interface HoldsTable {
  id: Generated<string>;
  customer: string | null;
  category: string | null;
  type: string | null;
  group_name: string | null;
  reason: ColumnType<string, string | undefined, string>;
  created_by: ColumnType<string, string | undefined, string>;
  created_at: CreatedAt;
}

/** One purge run (src/lifecycle): what it removed, per customer and kind, updated after every batch. */
export interface PurgeRunsTable {
  id: Generated<string>;
  node: string;
  trigger: 'schedule' | 'pressure' | 'manual';
  dry_run: boolean;
  started_at: CreatedAt;
  finished_at: Date | null;
  outcome: 'done' | 'stopped' | 'failed' | null;
  error: string | null;
  removed: Json;
}

export interface Database {
  customers: CustomersTable;
  holds: HoldsTable;
  customer_routes: CustomerRoutesTable;
  api_keys: ApiKeysTable;
  jobs: JobsTable;
  job_events: JobEventsTable;
  purge_runs: PurgeRunsTable;
  sources: SourcesTable;
  alert_subscriptions: AlertSubscriptionsTable;
  alert_conditions: AlertConditionsTable;
  alert_events: AlertEventsTable;
  alert_deliveries: AlertDeliveriesTable;
  alert_job_events: AlertJobEventsTable;
  refused_arrivals: RefusedArrivalsTable;
  console_sessions: ConsoleSessionsTable;
}

/** Arrivals refused before they became jobs (migration 0015). */
export interface RefusedArrivalsTable {
  id: Generated<string>;
  at: CreatedAt;
  node: string;
  source: string;
  stage: string;
  code: string;
  message: string;
  reply: string;
  customer: string | null;
  sender: string | null;
  recipients: ColumnType<string[], string[] | undefined, string[]>;
  size_bytes: ColumnType<string | null, number | null | undefined, number | null>;
  client_address: string | null;
  client_name: string | null;
  details: ColumnType<unknown, string | undefined, string>;
}

/** A signed-in /console session (migration 0016): only the token's SHA-256 is kept. */
export interface ConsoleSessionsTable {
  token_hash: Buffer;
  api_key_id: string;
  created_at: CreatedAt;
  last_seen_at: ColumnType<Date, Date | string | undefined, Date | string>;
  expires_at: ColumnType<Date, Date | string, Date | string>;
}

/** The last arrival per customer, module and group (migration 0012), kept when retention deletes jobs. */
export interface SourcesTable {
  customer: string;
  category: string;
  type: string;
  group_name: string;
  first_received_at: Date;
  last_received_at: Date;
  last_job_id: string;
  arrivals: ColumnType<string, string | number | undefined, string | number>;
}

export type JobRow = Selectable<JobsTable>;
export type NewJobRow = Insertable<JobsTable>;
export type JobUpdate = Updateable<JobsTable>;
export type JobEventRow = Selectable<JobEventsTable>;
export type CustomerRow = Selectable<CustomersTable>;
export type ApiKeyRow = Selectable<ApiKeysTable>;
export type HoldRow = Selectable<HoldsTable>;
export type SourceRow = Selectable<SourcesTable>;
export type RefusedArrivalRow = Selectable<RefusedArrivalsTable>;

// The alerting tables (migration 0014; docs/alerts.md).

/** A jsonb column with a default: optional on insert. */
type AlertJson = ColumnType<unknown, string | undefined, string>;

export const ALERT_CHANNELS = ['webhook', 'email'] as const;
export type AlertChannel = (typeof ALERT_CHANNELS)[number];
export const ALERT_STATES = ['opened', 'digest', 'resolved', 'test'] as const;
export type AlertState = (typeof ALERT_STATES)[number];
export const DELIVERY_STATUSES = ['pending', 'delivered', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export interface AlertSubscriptionsTable {
  id: Generated<string>;
  /** null: global (every customer's conditions and the service's own). */
  customer: string | null;
  channel: AlertChannel;
  url: string | null;
  /** The webhook's HMAC key; shown once, when it is made. */
  secret: string | null;
  email: string | null;
  /** Condition kinds delivered; empty: every kind. */
  kinds: ColumnType<string[], string[] | undefined, string[]>;
  description: ColumnType<string, string | undefined, string>;
  enabled: ColumnType<boolean, boolean | undefined, boolean>;
  created_at: CreatedAt;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface AlertConditionsTable {
  id: Generated<string>;
  kind: string;
  key: string;
  customer: string | null;
  /** The fields the key is made of (customer, category, type, group, node, area, queue). */
  scope: AlertJson;
  /** What the latest occurrence looked like (job id and error, free bytes, waiting time…). */
  details: AlertJson;
  opened_at: CreatedAt;
  last_seen_at: ColumnType<Date, Date | string | undefined, Date | string>;
  occurrences: ColumnType<string, string | number | undefined, string | number>;
  /** Occurrences since the last notification: what the next digest reports. */
  unreported: ColumnType<string, string | number | undefined, string | number>;
  last_notified_at: ColumnType<Date, Date | string | undefined, Date | string>;
  resolved_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

export interface AlertEventsTable {
  id: Generated<string>;
  condition_id: string | null;
  kind: string;
  key: string;
  state: AlertState;
  customer: string | null;
  /** The JSON body, byte for byte as every attempt of every delivery sends and signs it. */
  body: string;
  created_at: CreatedAt;
}

export interface AlertDeliveriesTable {
  id: Generated<string>;
  event_id: string;
  subscription_id: string;
  customer: string | null;
  status: ColumnType<DeliveryStatus, DeliveryStatus | undefined, DeliveryStatus>;
  attempts: ColumnType<number, number | undefined, number>;
  next_attempt_at: ColumnType<Date, Date | string | undefined, Date | string>;
  last_attempt_at: Date | null;
  last_status_code: number | null;
  last_error: string | null;
  delivered_at: Date | null;
  /** One entry per attempt: `{ attempt, at, statusCode, error, ms, outcome }`. */
  attempt_log: AlertJson;
  created_at: CreatedAt;
}

export interface AlertJobEventsTable {
  id: Generated<string>;
  job_id: string;
  status: string;
  at: CreatedAt;
}

export type AlertSubscriptionRow = Selectable<AlertSubscriptionsTable>;
export type AlertConditionRow = Selectable<AlertConditionsTable>;
export type AlertEventRow = Selectable<AlertEventsTable>;
export type AlertDeliveryRow = Selectable<AlertDeliveriesTable>;
