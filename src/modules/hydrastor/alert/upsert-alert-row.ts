import { sql, type Transaction } from 'kysely';
import type { Database } from '../../../db/database-schema.js';
import { IngestError } from '../../../core/ingest-error.js';
import { typedValue } from '../db/sql-value.js';
import type { HydrastorAlert } from './alert-types.js';

export const GRID_WIDE_NODE = '-';

export interface AlertRowWrite {
  readonly id: string;
  readonly written: boolean;
}

/**
 * One row per (grid, event ID, node, occurred-at), the spec's dedupe key. The same mail again
 * changes nothing; a resent mail with other details updates the row. A row that turns into a
 * Recovered one loses its clear (only Occurred alerts are cleared).
 */
export async function upsertAlertRow(
  trx: Transaction<Database>,
  args: {
    readonly gridId: string;
    readonly alert: HydrastorAlert;
    readonly occurredAt: Date;
    readonly zoneAssumed: string | null;
    readonly jobId: string;
  },
): Promise<AlertRowWrite> {
  const { alert } = args;
  const result = await sql<{ id: string }>`
    INSERT INTO hydrastor_alerts AS existing
      (grid_id, event_id, node_name, occurred_at, severity, event_type, component, message, recommended_action, clears_event_id,
       occurred_at_zone_assumed, extra, last_job_id)
    VALUES (
      ${typedValue(args.gridId, 'bigint')}, ${typedValue(alert.eventId, 'text')}, ${typedValue(alert.node, 'text')},
      ${typedValue(args.occurredAt, 'timestamptz')}, ${typedValue(alert.severity, 'text')}, ${typedValue(alert.eventType, 'text')},
      ${typedValue(alert.component, 'text')}, ${typedValue(alert.message, 'text')}, ${typedValue(alert.recommendedAction, 'text')},
      ${typedValue(alert.clearsEventId, 'text')}, ${typedValue(args.zoneAssumed, 'text')}, ${typedValue(alert.extra, 'jsonb')},
      ${typedValue(args.jobId, 'uuid')}
    )
    ON CONFLICT (grid_id, event_id, (coalesce(node_name, '-')), occurred_at) DO UPDATE SET
      node_name = excluded.node_name,
      severity = excluded.severity,
      event_type = excluded.event_type,
      component = excluded.component,
      message = excluded.message,
      recommended_action = excluded.recommended_action,
      clears_event_id = excluded.clears_event_id,
      occurred_at_zone_assumed = excluded.occurred_at_zone_assumed,
      extra = excluded.extra,
      cleared_at = CASE WHEN excluded.event_type = 'Occurred' THEN existing.cleared_at END,
      cleared_by_alert_id = CASE WHEN excluded.event_type = 'Occurred' THEN existing.cleared_by_alert_id END,
      last_job_id = excluded.last_job_id,
      updated_at = now()
    WHERE ROW(excluded.node_name, excluded.severity, excluded.event_type, excluded.component, excluded.message,
              excluded.recommended_action, excluded.clears_event_id, excluded.occurred_at_zone_assumed, excluded.extra)
      IS DISTINCT FROM ROW(existing.node_name, existing.severity, existing.event_type, existing.component, existing.message,
              existing.recommended_action, existing.clears_event_id, existing.occurred_at_zone_assumed, existing.extra)
    RETURNING id`.execute(trx);
  const written = result.rows[0];
  if (written !== undefined) return { id: written.id, written: true };
  const existing = await sql<{ id: string }>`
    SELECT id FROM hydrastor_alerts
    WHERE grid_id = ${typedValue(args.gridId, 'bigint')} AND event_id = ${typedValue(alert.eventId, 'text')}
      AND coalesce(node_name, '-') = ${typedValue(alert.node ?? GRID_WIDE_NODE, 'text')}
      AND occurred_at = ${typedValue(args.occurredAt, 'timestamptz')}`.execute(trx);
  const row = existing.rows[0];
  if (row === undefined) throw new IngestError('HYDRASTOR_ALERT_MISSING', `alert ${alert.eventId} vanished during its own upsert`);
  return { id: row.id, written: false };
}
