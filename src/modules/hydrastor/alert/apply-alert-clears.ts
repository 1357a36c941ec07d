import { sql, type Transaction } from 'kysely';
import type { Database } from '../../../db/database-schema.js';
import { typedValue } from '../db/sql-value.js';
import { GRID_WIDE_NODE } from './upsert-alert-row.js';

/**
 * An Occurred alert is cleared by the earliest Recovered mail of the same grid and node whose
 * Clears Event ID names it and whose time is not before the alert's. Both directions below
 * compute that same rule, so the outcome does not depend on which mail came first, and running
 * either again changes nothing.
 */

/** A Recovered mail closes the matching alerts already stored (an earlier clear stays). Returns how many it closed. */
export async function clearOpenAlerts(
  trx: Transaction<Database>,
  args: {
    readonly gridId: string;
    readonly clearsEventId: string;
    readonly node: string | null;
    readonly recoveredAt: Date;
    readonly recoveredAlertId: string;
    readonly jobId: string;
  },
): Promise<number> {
  const result = await sql`
    UPDATE hydrastor_alerts
    SET cleared_at = ${typedValue(args.recoveredAt, 'timestamptz')}, cleared_by_alert_id = ${typedValue(args.recoveredAlertId, 'bigint')},
        last_job_id = ${typedValue(args.jobId, 'uuid')}, updated_at = now()
    WHERE grid_id = ${typedValue(args.gridId, 'bigint')} AND event_type = 'Occurred'
      AND event_id = ${typedValue(args.clearsEventId, 'text')}
      AND coalesce(node_name, '-') = ${typedValue(args.node ?? GRID_WIDE_NODE, 'text')}
      AND occurred_at <= ${typedValue(args.recoveredAt, 'timestamptz')}
      AND (cleared_at IS NULL OR cleared_at > ${typedValue(args.recoveredAt, 'timestamptz')})
    RETURNING id`.execute(trx);
  return result.rows.length;
}

/** An Occurred alert takes the clear of a Recovered mail that arrived before it. Returns 1 when it did. */
export async function applyPendingClear(
  trx: Transaction<Database>,
  args: {
    readonly alertId: string;
    readonly gridId: string;
    readonly eventId: string;
    readonly node: string | null;
    readonly occurredAt: Date;
    readonly jobId: string;
  },
): Promise<number> {
  const result = await sql`
    UPDATE hydrastor_alerts AS alert
    SET cleared_at = recovery.occurred_at, cleared_by_alert_id = recovery.id, last_job_id = ${typedValue(args.jobId, 'uuid')}, updated_at = now()
    FROM (
      SELECT id, occurred_at FROM hydrastor_alerts
      WHERE grid_id = ${typedValue(args.gridId, 'bigint')} AND event_type = 'Recovered'
        AND clears_event_id = ${typedValue(args.eventId, 'text')}
        AND coalesce(node_name, '-') = ${typedValue(args.node ?? GRID_WIDE_NODE, 'text')}
        AND occurred_at >= ${typedValue(args.occurredAt, 'timestamptz')}
      ORDER BY occurred_at, id
      LIMIT 1
    ) AS recovery
    WHERE alert.id = ${typedValue(args.alertId, 'bigint')} AND (alert.cleared_at IS NULL OR alert.cleared_at > recovery.occurred_at)
    RETURNING alert.id`.execute(trx);
  return result.rows.length;
}
