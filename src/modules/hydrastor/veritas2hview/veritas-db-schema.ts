import type { ColumnType, Generated } from 'kysely';

/**
 * Kysely type of `veritas_grid_mappings` (migration 0005), the one Veritas2Hview table written
 * outside the module: the operator API sets a storage server's grid there, and the module reads
 * it when an export's hydrastor_map.csv does not name the server. Use
 * `db.withTables<VeritasTables>()`. Storage server names match ignoring case (unique index on
 * `lower(storage_server)` per customer).
 */
export type VeritasGridMappingsTable = {
  id: Generated<string>;
  customer: string;
  storage_server: string;
  grid_serial: string;
  grid_name: string | null;
  note: string | null;
  created_at: ColumnType<Date, Date | string | undefined, never>;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
};

export type VeritasTables = {
  veritas_grid_mappings: VeritasGridMappingsTable;
};
