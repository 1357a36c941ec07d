import type { Transaction } from 'kysely';
import type { Database } from '../../../db/database-schema.js';
import type { ModuleContext, ParseResult, UpsertStats } from '../../types.js';
import { applyTimezone } from '../../shared/values/apply-timezone.js';
import type { HydrastorAlert } from './alert-types.js';
import { applyPendingClear, clearOpenAlerts } from './apply-alert-clears.js';
import { lockGridForAlert } from './lock-grid-for-alert.js';
import { upsertAlertRow } from './upsert-alert-row.js';

const UTC = 'UTC';

interface ResolvedTime {
  readonly occurredAt: Date;
  /** Null when the mail's time had an offset; else the zone it was read in. */
  readonly zoneAssumed: string | null;
}

function resolveOccurredAt(alert: HydrastorAlert, gridTimezone: string | null): ResolvedTime {
  if (alert.hasOffset) return { occurredAt: alert.occurredAt, zoneAssumed: null };
  return { occurredAt: applyTimezone(alert.occurredAt, gridTimezone), zoneAssumed: gridTimezone ?? UTC };
}

/**
 * Stores one alert mail in the job's transaction. Occurred: an open alert (closed at once if its
 * Recovered mail came first). Recovered: its own row (kept even when nothing is open yet, so a
 * later alert finds it), and the matching open alerts get `cleared_at`. A `Date/Time` without an
 * offset is read in the grid's zone (known from its system reports), else UTC, and the job log
 * and stats say which.
 */
export async function upsertAlert(trx: Transaction<Database>, parsed: ParseResult<HydrastorAlert>, context: ModuleContext): Promise<UpsertStats> {
  const alert = parsed.records;
  const grid = await lockGridForAlert(trx, { customer: context.customer, serialNumber: alert.serial, gridName: alert.grid, jobId: context.jobId });
  const time = resolveOccurredAt(alert, grid.timezone);
  if (time.zoneAssumed !== null) {
    // Found only now: the zone is the grid's, known from the database.
    const reason = grid.timezone === null ? `no time zone is known for grid ${alert.serial}` : `the grid's time zone`;
    parsed.issues.add({ file: 'body', line: null, message: `Date/Time has no UTC offset; read as ${time.zoneAssumed} (${reason})` });
  }

  const row = await upsertAlertRow(trx, { gridId: grid.id, alert, occurredAt: time.occurredAt, zoneAssumed: time.zoneAssumed, jobId: context.jobId });
  let cleared = 0;
  if (alert.eventType === 'Occurred') {
    cleared = await applyPendingClear(trx, {
      alertId: row.id,
      gridId: grid.id,
      eventId: alert.eventId,
      node: alert.node,
      occurredAt: time.occurredAt,
      jobId: context.jobId,
    });
  } else if (alert.clearsEventId !== null) {
    cleared = await clearOpenAlerts(trx, {
      gridId: grid.id,
      clearsEventId: alert.clearsEventId,
      node: alert.node,
      recoveredAt: time.occurredAt,
      recoveredAlertId: row.id,
      jobId: context.jobId,
    });
  }
  if (cleared > 0) context.logger.info(`alert ${alert.eventId}: ${cleared} alert(s) cleared`);

  return {
    hydrastor_grids: grid.created ? 1 : 0,
    hydrastor_alerts: row.written ? 1 : 0,
    hydrastor_alerts_cleared: cleared,
    parse_issues: parsed.issues.count,
    ...(time.zoneAssumed === null ? {} : grid.timezone === null ? { times_read_as_utc: 1 } : { times_read_in_grid_timezone: 1 }),
  };
}
