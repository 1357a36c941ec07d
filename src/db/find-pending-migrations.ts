import { sql, type Kysely } from 'kysely';
import { migrations } from '../../migrations/index.js';

/** kysely's Migrator default bookkeeping table. */
const MIGRATION_TABLE = 'kysely_migration';
/** PostgreSQL `undefined_table`: nothing was ever migrated. */
const UNDEFINED_TABLE = '42P01';

/**
 * The migrations this code knows that the database has not applied, in order; empty when the
 * schema is current. One read and no lock or DDL, unlike migrateToLatest: for short-lived
 * processes (the Postfix mailhandler) that must not change the schema under a running service.
 * Migrations the database has and this code lacks (a newer release migrated it) are not reported.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- only the bookkeeping table is read
export async function findPendingMigrations(db: Kysely<any>): Promise<string[]> {
  let applied: ReadonlySet<string>;
  try {
    const result = await sql<{ name: string }>`SELECT name FROM ${sql.table(MIGRATION_TABLE)}`.execute(db);
    applied = new Set(result.rows.map((row) => row.name));
  } catch (error) {
    if ((error as { code?: unknown }).code !== UNDEFINED_TABLE) throw error;
    applied = new Set();
  }
  return Object.keys(migrations).filter((name) => !applied.has(name));
}
