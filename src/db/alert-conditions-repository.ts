import { sql, type Kysely, type Transaction } from 'kysely';
import type { AlertConditionRow, AlertState, Database } from './database-schema.js';

type Db = Kysely<Database> | Transaction<Database>;

/**
 * Opens the condition, or counts `count` more occurrences into the open one (into `unreported`,
 * the next digest). One statement: the partial unique index on open conditions makes concurrent
 * instances meet in the same row, so exactly one of them opens it.
 */
export async function recordConditionOccurrence(
  db: Db,
  args: {
    readonly kind: string;
    readonly key: string;
    readonly customer: string | null;
    readonly scope: Readonly<Record<string, unknown>>;
    readonly details: Readonly<Record<string, unknown>>;
    readonly count: number;
  },
): Promise<{ condition: AlertConditionRow; opened: boolean }> {
  const result = await sql<AlertConditionRow & { opened: boolean }>`
    INSERT INTO alert_conditions AS c (kind, key, customer, scope, details, occurrences, unreported)
    VALUES (${args.kind}, ${args.key}, ${args.customer}, ${JSON.stringify(args.scope)}::jsonb, ${JSON.stringify(args.details)}::jsonb, ${args.count}, 0)
    ON CONFLICT (kind, key) WHERE resolved_at IS NULL DO UPDATE SET
      occurrences = c.occurrences + EXCLUDED.occurrences,
      unreported = c.unreported + EXCLUDED.occurrences,
      last_seen_at = now(),
      details = EXCLUDED.details
    RETURNING c.*, (xmax = 0) AS opened`.execute(db);
  const { opened, ...condition } = result.rows[0]!;
  return { condition, opened };
}

/** Open conditions of one kind. */
export async function listOpenConditions(db: Db, kind: string): Promise<AlertConditionRow[]> {
  return db.selectFrom('alert_conditions').selectAll().where('kind', '=', kind).where('resolved_at', 'is', null).orderBy('id').execute();
}

/**
 * Clears an open condition; undefined when it was not open (another instance cleared it first).
 * Returns the occurrences not reported yet, which the resolved notification carries.
 */
export async function resolveCondition(db: Db, id: string): Promise<(AlertConditionRow & { reported: string }) | undefined> {
  const result = await sql<AlertConditionRow & { reported: string }>`
    WITH target AS (SELECT id, unreported FROM alert_conditions WHERE id = ${id} AND resolved_at IS NULL FOR UPDATE)
    UPDATE alert_conditions c SET resolved_at = now(), unreported = 0, last_notified_at = now()
      FROM target WHERE c.id = target.id
    RETURNING c.*, target.unreported AS reported`.execute(db);
  return result.rows[0];
}

/**
 * Open conditions with unreported occurrences whose last notification is at least `minutes` old,
 * marked reported in the same statement (SKIP LOCKED: one instance takes each). `reported` is the
 * count the digest carries.
 */
export async function takeDueDigests(db: Db, minutes: number): Promise<Array<AlertConditionRow & { reported: string }>> {
  const result = await sql<AlertConditionRow & { reported: string }>`
    WITH due AS (
      SELECT id, unreported FROM alert_conditions
       WHERE resolved_at IS NULL AND unreported > 0 AND last_notified_at <= now() - make_interval(secs => ${minutes * 60}::float8)
       ORDER BY id FOR UPDATE SKIP LOCKED
    )
    UPDATE alert_conditions c SET unreported = 0, last_notified_at = now()
      FROM due WHERE c.id = due.id
    RETURNING c.*, due.unreported AS reported`.execute(db);
  return result.rows;
}

/**
 * Records a notification with its body and queues one delivery per enabled subscription that
 * wants it: global ones always, a customer's only for that customer's conditions; `kinds` empty
 * means every kind. A test notification goes to `onlySubscription` alone. Returns the deliveries.
 */
export async function insertAlertEvent(
  db: Db,
  event: {
    readonly id: string;
    readonly conditionId: string | null;
    readonly kind: string;
    readonly key: string;
    readonly state: AlertState;
    readonly customer: string | null;
    readonly body: string;
    readonly onlySubscription?: string;
  },
): Promise<number> {
  const only = event.onlySubscription ?? null;
  const result = await sql<{ deliveries: string }>`
    WITH event AS (
      INSERT INTO alert_events (id, condition_id, kind, key, state, customer, body)
      VALUES (${event.id}, ${event.conditionId}, ${event.kind}, ${event.key}, ${event.state}, ${event.customer}, ${event.body})
      RETURNING id, kind, customer
    ), fanned AS (
      INSERT INTO alert_deliveries (event_id, subscription_id, customer)
      SELECT event.id, s.id, event.customer FROM event JOIN alert_subscriptions s ON s.enabled
       WHERE CASE WHEN ${only}::uuid IS NOT NULL THEN s.id = ${only}::uuid
             ELSE (s.customer IS NULL OR s.customer = event.customer) AND (cardinality(s.kinds) = 0 OR event.kind = ANY (s.kinds)) END
      RETURNING 1
    )
    SELECT count(*) AS deliveries FROM fanned`.execute(db);
  return Number(result.rows[0]?.deliveries ?? 0);
}

export interface ConditionFilter {
  readonly open?: boolean | undefined;
  readonly kind?: string | undefined;
  readonly customer?: string | undefined;
}

/** Conditions newest first, for the admin API and the console. */
export async function listConditions(
  db: Db,
  args: { readonly filter: ConditionFilter; readonly limit: number; readonly before?: string | undefined },
): Promise<AlertConditionRow[]> {
  const { filter } = args;
  let query = db.selectFrom('alert_conditions').selectAll();
  if (filter.open === true) query = query.where('resolved_at', 'is', null);
  if (filter.open === false) query = query.where('resolved_at', 'is not', null);
  if (filter.kind !== undefined) query = query.where('kind', '=', filter.kind);
  if (filter.customer !== undefined) query = query.where('customer', '=', filter.customer);
  if (args.before !== undefined) query = query.where('id', '<', args.before);
  return query.orderBy('id', 'desc').limit(args.limit).execute();
}

/** Open conditions per kind, for the metric. */
export async function countOpenConditions(db: Db): Promise<Array<{ kind: string; count: number }>> {
  const rows = await db
    .selectFrom('alert_conditions')
    .select(['kind', (eb) => eb.fn.countAll<string>().as('count')])
    .where('resolved_at', 'is', null)
    .groupBy('kind')
    .execute();
  return rows.map((row) => ({ kind: row.kind, count: Number(row.count) }));
}
