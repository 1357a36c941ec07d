import { sql, type Kysely, type Transaction } from 'kysely';
import type { AlertChannel, AlertDeliveryRow, AlertState, DeliveryStatus, Database } from './database-schema.js';

type Db = Kysely<Database> | Transaction<Database>;

/** A delivery taken for one attempt, with what the attempt needs. */
export interface ClaimedDelivery {
  readonly id: string;
  /** This attempt's number (1 for the first). */
  readonly attempt: number;
  readonly eventId: string;
  readonly kind: string;
  readonly state: AlertState;
  readonly body: string;
  readonly subscriptionId: string;
  readonly channel: AlertChannel;
  readonly url: string | null;
  readonly secret: string | null;
  readonly email: string | null;
}

/**
 * Takes up to `limit` due deliveries for one attempt each. The claim pushes `next_attempt_at` a
 * lease ahead and counts the attempt in the same statement (FOR UPDATE SKIP LOCKED), so no other
 * instance takes them while the attempt runs, and a crashed instance's claims become due again
 * once the lease is over (at least once, never twice at the same time).
 */
export async function claimDueDeliveries(db: Db, args: { readonly limit: number; readonly leaseSeconds: number }): Promise<ClaimedDelivery[]> {
  const result = await sql<{
    id: string;
    attempts: number;
    event_id: string;
    kind: string;
    state: AlertState;
    body: string;
    subscription_id: string;
    channel: AlertChannel;
    url: string | null;
    secret: string | null;
    email: string | null;
  }>`
    WITH due AS (
      SELECT d.id FROM alert_deliveries d
       WHERE d.status = 'pending' AND d.next_attempt_at <= now()
       ORDER BY d.next_attempt_at LIMIT ${args.limit} FOR UPDATE SKIP LOCKED
    ), claimed AS (
      UPDATE alert_deliveries d SET attempts = d.attempts + 1, next_attempt_at = now() + make_interval(secs => ${args.leaseSeconds}::float8)
        FROM due WHERE d.id = due.id
      RETURNING d.id, d.attempts, d.event_id, d.subscription_id
    )
    SELECT claimed.id, claimed.attempts, claimed.event_id, e.kind, e.state, e.body, claimed.subscription_id, s.channel, s.url, s.secret, s.email
      FROM claimed JOIN alert_events e ON e.id = claimed.event_id JOIN alert_subscriptions s ON s.id = claimed.subscription_id`.execute(db);
  return result.rows.map((row) => ({
    id: row.id,
    attempt: row.attempts,
    eventId: row.event_id,
    kind: row.kind,
    state: row.state,
    body: row.body,
    subscriptionId: row.subscription_id,
    channel: row.channel,
    url: row.url,
    secret: row.secret,
    email: row.email,
  }));
}

export type AttemptOutcome = 'delivered' | 'retry' | 'failed';

/**
 * Records one attempt's outcome: delivered, failed for good, or due again after `retryInSeconds`.
 * Fenced on the attempt number: an attempt whose lease ran out and was taken again meanwhile only
 * adds its line to the log.
 */
export async function recordDeliveryAttempt(
  db: Db,
  args: {
    readonly id: string;
    readonly attempt: number;
    readonly outcome: AttemptOutcome;
    readonly statusCode: number | null;
    readonly error: string | null;
    readonly durationMs: number;
    readonly retryInSeconds: number;
  },
): Promise<void> {
  const entry = JSON.stringify({
    attempt: args.attempt,
    at: new Date().toISOString(),
    outcome: args.outcome,
    statusCode: args.statusCode,
    error: args.error,
    ms: Math.round(args.durationMs),
  });
  const status: DeliveryStatus = args.outcome === 'retry' ? 'pending' : args.outcome;
  await sql`
    UPDATE alert_deliveries SET
      attempt_log = attempt_log || jsonb_build_array(${entry}::jsonb),
      status = CASE WHEN attempts = ${args.attempt} AND status = 'pending' THEN ${status} ELSE status END,
      next_attempt_at = CASE WHEN attempts = ${args.attempt} AND status = 'pending'
        THEN now() + make_interval(secs => ${args.retryInSeconds}::float8) ELSE next_attempt_at END,
      last_attempt_at = now(),
      last_status_code = ${args.statusCode},
      last_error = ${args.error},
      delivered_at = CASE WHEN ${args.outcome} = 'delivered' THEN coalesce(delivered_at, now()) ELSE delivered_at END
    WHERE id = ${args.id}`.execute(db);
}

/** Pending deliveries of a subscription that was disabled: failed with the reason, never sent later. */
export async function failPendingDeliveries(db: Db, args: { readonly subscriptionId: string; readonly reason: string }): Promise<number> {
  const result = await db
    .updateTable('alert_deliveries')
    .set({ status: 'failed', last_error: args.reason })
    .where('subscription_id', '=', args.subscriptionId)
    .where('status', '=', 'pending')
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** The earliest time a pending delivery is due (null: none pending), so the deliverer can sleep until then. */
export async function nextDeliveryDueAt(db: Db): Promise<Date | null> {
  const row = await db
    .selectFrom('alert_deliveries')
    .select((eb) => eb.fn.min('next_attempt_at').as('due'))
    .where('status', '=', 'pending')
    .executeTakeFirst();
  return (row?.due as Date | null | undefined) ?? null;
}

export interface DeliveryFilter {
  readonly status?: DeliveryStatus | undefined;
  readonly subscriptionId?: string | undefined;
  readonly customer?: string | undefined;
  readonly kind?: string | undefined;
  readonly eventId?: string | undefined;
}

export type DeliveryListRow = AlertDeliveryRow & {
  kind: string;
  key: string;
  state: AlertState;
  condition_id: string | null;
  channel: AlertChannel;
  url: string | null;
  email: string | null;
};

/** Deliveries newest first with their notification and target, for the admin API and the console. */
export async function listDeliveries(
  db: Db,
  args: { readonly filter: DeliveryFilter; readonly limit: number; readonly before?: string | undefined },
): Promise<DeliveryListRow[]> {
  const { filter } = args;
  let query = db
    .selectFrom('alert_deliveries as d')
    .innerJoin('alert_events as e', 'e.id', 'd.event_id')
    .innerJoin('alert_subscriptions as s', 's.id', 'd.subscription_id')
    .selectAll('d')
    .select(['e.kind', 'e.key', 'e.state', 'e.condition_id', 's.channel', 's.url', 's.email']);
  if (filter.status !== undefined) query = query.where('d.status', '=', filter.status);
  if (filter.subscriptionId !== undefined) query = query.where('d.subscription_id', '=', filter.subscriptionId);
  if (filter.customer !== undefined) query = query.where('d.customer', '=', filter.customer);
  if (filter.kind !== undefined) query = query.where('e.kind', '=', filter.kind);
  if (filter.eventId !== undefined) query = query.where('d.event_id', '=', filter.eventId);
  if (args.before !== undefined) query = query.where('d.id', '<', args.before);
  return query.orderBy('d.id', 'desc').limit(args.limit).execute();
}

/**
 * Removes settled history older than `keepDays`: finished deliveries, then notifications without
 * deliveries, then resolved conditions without notifications. Returns the rows removed.
 */
export async function pruneAlertHistory(db: Db, keepDays: number): Promise<number> {
  const result = await sql<{ removed: string }>`
    WITH cutoff AS (SELECT now() - make_interval(secs => ${keepDays * 86400}::float8) AS at),
    deliveries AS (
      DELETE FROM alert_deliveries WHERE status <> 'pending' AND created_at < (SELECT at FROM cutoff) RETURNING 1
    ), events AS (
      DELETE FROM alert_events e WHERE e.created_at < (SELECT at FROM cutoff)
        AND NOT EXISTS (SELECT 1 FROM alert_deliveries d WHERE d.event_id = e.id AND d.status = 'pending')
      RETURNING 1
    )
    SELECT (SELECT count(*) FROM deliveries) + (SELECT count(*) FROM events) AS removed`.execute(db);
  // Conditions go in a second statement: the one above cannot see its own deletions of events.
  const conditions = await sql<{ removed: string }>`
    WITH gone AS (
      DELETE FROM alert_conditions c WHERE c.resolved_at < now() - make_interval(secs => ${keepDays * 86400}::float8)
        AND NOT EXISTS (SELECT 1 FROM alert_events e WHERE e.condition_id = c.id)
      RETURNING 1
    )
    SELECT count(*) AS removed FROM gone`.execute(db);
  return Number(result.rows[0]?.removed ?? 0) + Number(conditions.rows[0]?.removed ?? 0);
}
