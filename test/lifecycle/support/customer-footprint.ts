import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { sql, type Kysely } from 'kysely';

/** What ties rows to one customer, captured before a purge (afterwards the jobs that tie them are gone). */
export interface CustomerIdentity {
  readonly slug: string;
  readonly customerId: string;
  readonly jobIds: readonly string[];
  readonly gridIds: readonly string[];
  readonly masterServerIds: readonly string[];
}

export async function customerIdentity(db: Kysely<any>, slug: string): Promise<CustomerIdentity> {
  const ids = async (query: ReturnType<typeof sql<{ id: string }>>): Promise<string[]> => (await query.execute(db)).rows.map((row) => String(row.id));
  return {
    slug,
    customerId: (await ids(sql`SELECT id FROM customers WHERE slug = ${slug}`))[0]!,
    jobIds: await ids(sql`SELECT id FROM jobs WHERE customer = ${slug}`),
    gridIds: await ids(sql`SELECT id FROM hydrastor_grids WHERE customer = ${slug}`),
    masterServerIds: await ids(sql`SELECT id FROM veritas_master_servers WHERE customer = ${slug}`),
  };
}

/**
 * Rows still tied to the customer, in every table of the schema that has a column naming a
 * customer, a job or a customer-owned parent (found in information_schema, so tables added
 * later are checked too): `table.column: count` for each tie that still holds.
 */
export async function rowsTiedTo(db: Kysely<any>, who: CustomerIdentity): Promise<string[]> {
  const columns = await sql<{ table_name: string; column_name: string; data_type: string }>`
    SELECT c.table_name, c.column_name, c.data_type FROM information_schema.columns c
    JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
    WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
      AND c.column_name IN ('customer', 'customer_id', 'last_job_id', 'job_id', 'grid_id', 'master_server_id', 'slug')`.execute(db);
  const left: string[] = [];
  for (const { table_name: table, column_name: column, data_type: type } of columns.rows) {
    const values = valuesFor(column, type, who);
    if (values.length === 0) continue;
    const result = await sql<{
      count: string;
    }>`SELECT count(*) AS count FROM ${sql.table(table)} WHERE ${sql.ref(column)}::text IN (${sql.join(values)})`.execute(db);
    const count = Number(result.rows[0]?.count);
    if (count > 0) left.push(`${table}.${column}: ${count}`);
  }
  return left;
}

function valuesFor(column: string, type: string, who: CustomerIdentity): readonly string[] {
  if ((column === 'customer' || column === 'slug') && type === 'text') return [who.slug];
  if (column === 'customer_id') return [who.customerId];
  if ((column === 'last_job_id' || column === 'job_id') && type === 'uuid') return who.jobIds;
  if (column === 'grid_id') return who.gridIds;
  if (column === 'master_server_id') return who.masterServerIds;
  return [];
}

/** Rows per base table of the schema (every table, not only the customer's). */
export async function tableRowCounts(db: Kysely<any>): Promise<Record<string, number>> {
  const tables = await sql<{ table_name: string }>`
    SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`.execute(db);
  const counts: Record<string, number> = {};
  for (const { table_name: table } of tables.rows) {
    const result = await sql<{ count: string }>`SELECT count(*) AS count FROM ${sql.table(table)}`.execute(db);
    counts[table] = Number(result.rows[0]?.count);
  }
  return counts;
}

/** Files (relative to the data root) under `<area>/<slug>/` for the three areas. */
export async function customerFiles(roots: { readonly dataRoot: string; readonly archiveRoot: string }, slug: string): Promise<string[]> {
  const files: string[] = [];
  for (const area of ['inbox', 'tmp', 'archive']) {
    const areaRoot = area === 'archive' ? roots.archiveRoot : path.join(roots.dataRoot, area);
    const entries = await readdir(path.join(areaRoot, slug), { recursive: true, withFileTypes: true }).catch(() => []);
    for (const entry of entries) if (!entry.isDirectory()) files.push(path.join(area, path.relative(areaRoot, path.join(entry.parentPath, entry.name))));
  }
  return files.sort();
}
