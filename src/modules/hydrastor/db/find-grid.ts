import type { Transaction } from 'kysely';
import type { Database } from '../../../db/database-schema.js';
import type { HydrastorTables } from '../db-schema.js';

export interface KnownGrid {
  readonly id: string;
  readonly name: string;
  readonly timezone: string | null;
}

/** A customer's grid by serial number, if a report or alert has been stored for it. */
export async function findGrid(trx: Transaction<Database>, args: { readonly customer: string; readonly serialNumber: string }): Promise<KnownGrid | undefined> {
  return trx
    .withTables<HydrastorTables>()
    .selectFrom('hydrastor_grids')
    .select(['id', 'name', 'timezone'])
    .where('customer', '=', args.customer)
    .where('serial_number', '=', args.serialNumber)
    .executeTakeFirst();
}
