import { sql, type Transaction } from 'kysely';
import type { Database } from '../../../db/database-schema.js';
import type { StoredGridMapping } from './correlate.js';

export interface GridLinkFacts {
  /** The customer's storage server → grid mappings (`veritas_grid_mappings`). */
  readonly storedMappings: readonly StoredGridMapping[];
  /** Serial of the customer's grid named like the upload's grid segment, when a report made it known. */
  readonly keyGridSerial: string | null;
}

/**
 * What the database knows that the export does not: the mappings set through the API, and the
 * serial of the grid the S3 key names (the key carries a name; links are kept by serial).
 * A grid's earlier names count too, so an export keyed by the old name still finds its grid.
 */
export async function findGridLinkFacts(
  trx: Transaction<Database>,
  args: { readonly customer: string; readonly keyGrid: string | null },
): Promise<GridLinkFacts> {
  const mappings = await sql<{ storage_server: string; grid_serial: string; grid_name: string | null }>`
    SELECT storage_server, grid_serial, grid_name FROM veritas_grid_mappings WHERE customer = ${args.customer} ORDER BY id`.execute(trx);
  let keyGridSerial: string | null = null;
  if (args.keyGrid !== null) {
    const grid = await sql<{ serial_number: string }>`
      SELECT serial_number FROM hydrastor_grids
      WHERE customer = ${args.customer} AND (lower(name) = lower(${args.keyGrid}) OR lower(${args.keyGrid}) = ANY (SELECT lower(unnest(previous_names))))
      ORDER BY (lower(name) = lower(${args.keyGrid})) DESC, id
      LIMIT 1`.execute(trx);
    keyGridSerial = grid.rows[0]?.serial_number ?? null;
  }
  return {
    storedMappings: mappings.rows.map((row) => ({ storageServer: row.storage_server, gridSerial: row.grid_serial, gridName: row.grid_name })),
    keyGridSerial,
  };
}
