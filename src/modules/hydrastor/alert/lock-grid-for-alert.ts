import { sql, type Transaction } from 'kysely';
import type { Database } from '../../../db/database-schema.js';
import { IngestError } from '../../../core/ingest-error.js';
import { typedValue } from '../db/sql-value.js';

export interface LockedGrid {
  readonly id: string;
  readonly timezone: string | null;
  /** No report or alert had been stored for this serial: the alert created the grid. */
  readonly created: boolean;
}

/**
 * The alert's grid, created from the alert when no report has been seen yet (a report fills in
 * the rest later), and locked for the rest of the transaction. The lock makes an alert and its
 * Recovered mail, processed at the same time by two workers, run one after the other, so the
 * second always sees the first and a clear is never lost between them.
 */
export async function lockGridForAlert(
  trx: Transaction<Database>,
  args: {
    readonly customer: string;
    readonly serialNumber: string;
    readonly gridName: string;
    readonly jobId: string;
  },
): Promise<LockedGrid> {
  const inserted = await sql`
    INSERT INTO hydrastor_grids (customer, serial_number, name, last_job_id)
    VALUES (${typedValue(args.customer, 'text')}, ${typedValue(args.serialNumber, 'text')}, ${typedValue(args.gridName, 'text')},
            ${typedValue(args.jobId, 'uuid')})
    ON CONFLICT (customer, serial_number) DO NOTHING
    RETURNING id`.execute(trx);
  const locked = await sql<{ id: string; timezone: string | null }>`
    SELECT id, timezone FROM hydrastor_grids
    WHERE customer = ${typedValue(args.customer, 'text')} AND serial_number = ${typedValue(args.serialNumber, 'text')}
    FOR UPDATE`.execute(trx);
  const grid = locked.rows[0];
  if (grid === undefined) throw new IngestError('HYDRASTOR_GRID_MISSING', `grid ${args.serialNumber} vanished while its alert was stored`);
  return { id: grid.id, timezone: grid.timezone, created: inserted.rows.length > 0 };
}
