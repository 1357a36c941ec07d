import { sql, type Kysely, type RawBuilder, type Transaction } from 'kysely';
import { IngestError } from '../core/ingest-error.js';
import type { Database } from './database-schema.js';

type Db = Kysely<Database> | Transaction<Database>;

/** How a row is tied to a customer: the only ties the schema has (module tables name no FK to jobs). */
export type CustomerLink =
  | { readonly kind: 'slug' }
  | { readonly kind: 'customer'; readonly column: string }
  | { readonly kind: 'customer_id'; readonly column: string }
  | { readonly kind: 'job'; readonly column: string }
  | { readonly kind: 'parent'; readonly column: string; readonly parent: string };

export interface CustomerDataTable {
  readonly table: string;
  readonly links: readonly CustomerLink[];
}

/**
 * Children tied to a customer-owned row by id alone. The big Veritas tables carry no foreign key
 * (migration 0005: the per-row check cost too much), so the catalogue cannot tell; every table
 * with such a column is covered, FK or not.
 */
const PARENT_LINKS: ReadonlyArray<{ readonly column: string; readonly parent: string }> = [
  { column: 'grid_id', parent: 'hydrastor_grids' },
  { column: 'master_server_id', parent: 'veritas_master_servers' },
];
/** Columns naming the job that wrote a row (uuid only: `veritas_jobs.job_id` is NetBackup's number). */
const JOB_COLUMNS = ['last_job_id', 'job_id'];

/**
 * Every table that can hold a customer's rows, read from the catalogue so that a new module's
 * table is covered without a change here: a `customer` text column, a uuid `last_job_id`/`job_id`
 * (one of its jobs wrote the row), a `customer_id`, or a parent link above; `customers` itself
 * comes last. Ordered so a table is emptied before anything it references (foreign keys, and the
 * links above): no row goes by cascade, so each table's count is exactly what it lost.
 */
export async function findCustomerDataTables(db: Db): Promise<CustomerDataTable[]> {
  const columns = await sql<{ table_name: string; column_name: string; data_type: string }>`
    SELECT c.table_name, c.column_name, c.data_type
    FROM information_schema.columns c
    JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
    WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE' AND c.table_name <> 'customers'
      AND c.column_name IN ('customer', 'customer_id', ${sql.join([...JOB_COLUMNS, ...PARENT_LINKS.map((link) => link.column)])})
    ORDER BY c.table_name, c.column_name`.execute(db);
  const present = new Set(columns.rows.map((row) => row.table_name));
  const links = new Map<string, CustomerLink[]>();
  for (const { table_name: table, column_name: column, data_type: type } of columns.rows) {
    const link = linkFor(column, type, present);
    if (link !== undefined) links.set(table, [...(links.get(table) ?? []), link]);
  }
  const edges = await sql<{ child: string; parent: string }>`
    SELECT child.relname AS child, parent.relname AS parent
    FROM pg_constraint k JOIN pg_class child ON child.oid = k.conrelid JOIN pg_class parent ON parent.oid = k.confrelid
    WHERE k.contype = 'f' AND k.connamespace = current_schema()::regnamespace`.execute(db);
  const tables = [...links].map(([table, tableLinks]) => ({ table, links: tableLinks }));
  return [...deletionOrder(tables, edges.rows), { table: 'customers', links: [{ kind: 'slug' }] }];
}

function linkFor(column: string, type: string, tables: ReadonlySet<string>): CustomerLink | undefined {
  if (column === 'customer' && type === 'text') return { kind: 'customer', column };
  if (column === 'customer_id' && type === 'bigint') return { kind: 'customer_id', column };
  if (JOB_COLUMNS.includes(column) && type === 'uuid') return { kind: 'job', column };
  const parent = PARENT_LINKS.find((link) => link.column === column)?.parent;
  if (parent !== undefined && type === 'bigint' && tables.has(parent)) return { kind: 'parent', column, parent };
  return undefined;
}

/** Children first (Kahn's algorithm); a cycle (a self-reference) does not block, names break ties. */
function deletionOrder(tables: readonly CustomerDataTable[], foreignKeys: ReadonlyArray<{ child: string; parent: string }>): CustomerDataTable[] {
  const names = new Set(tables.map((entry) => entry.table));
  const mustGoFirst = new Map<string, Set<string>>(tables.map((entry) => [entry.table, new Set<string>()]));
  const add = (child: string, parent: string): void => {
    if (child !== parent && names.has(child) && names.has(parent)) mustGoFirst.get(parent)?.add(child);
  };
  for (const key of foreignKeys) add(key.child, key.parent);
  for (const entry of tables) {
    for (const link of entry.links) {
      if (link.kind === 'job') add(entry.table, 'jobs');
      if (link.kind === 'parent') add(entry.table, link.parent);
    }
  }
  const ordered: CustomerDataTable[] = [];
  const left = [...tables].sort((a, b) => a.table.localeCompare(b.table));
  while (left.length > 0) {
    const done = new Set(ordered.map((entry) => entry.table));
    const index = left.findIndex((entry) => [...(mustGoFirst.get(entry.table) ?? [])].every((child) => done.has(child)));
    ordered.push(...left.splice(index < 0 ? 0 : index, 1));
  }
  return ordered;
}

function belongsTo(entry: CustomerDataTable, slug: string): RawBuilder<boolean> {
  const conditions = entry.links.map((link) => {
    switch (link.kind) {
      case 'slug':
        return sql<boolean>`slug = ${slug}`;
      case 'customer':
        return sql<boolean>`${sql.ref(link.column)} = ${slug}`;
      case 'customer_id':
        return sql<boolean>`${sql.ref(link.column)} IN (SELECT id FROM customers WHERE slug = ${slug})`;
      case 'job':
        return sql<boolean>`${sql.ref(link.column)} IN (SELECT id FROM jobs WHERE customer = ${slug})`;
      case 'parent':
        return sql<boolean>`${sql.ref(link.column)} IN (SELECT id FROM ${sql.table(link.parent)} WHERE customer = ${slug})`;
    }
  });
  return sql<boolean>`(${sql.join(conditions, sql` OR `)})`;
}

/** Rows per table that a purge of `slug` would remove (tables without any are left out). */
export async function countCustomerRows(db: Db, slug: string, tables: readonly CustomerDataTable[]): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const entry of tables) {
    const row = await sql<{ count: string }>`SELECT count(*) AS count FROM ${sql.table(entry.table)} WHERE ${belongsTo(entry, slug)}`.execute(db);
    const count = Number(row.rows[0]?.count ?? 0);
    if (count > 0) counts[entry.table] = count;
  }
  return counts;
}

/** Job states in which a process is working on the job's files: a purge waits for them. */
const BUSY_STATUSES = ['staging', 'running'];

/**
 * Removes every row of `slug` in one transaction and returns the rows removed per table. The
 * customer row and its unfinished jobs are locked first (a worker's claim skips locked jobs),
 * and a job being staged or run refuses the purge (`CUSTOMER_BUSY`). `confirm` sees the counts
 * found under those locks and whether the customer is disabled, and throws to refuse (a dry
 * run's token that no longer matches).
 * Undefined when there is no such customer.
 */
export async function purgeCustomerRows(
  db: Kysely<Database>,
  args: {
    readonly slug: string;
    readonly confirm: (found: { readonly counts: Readonly<Record<string, number>>; readonly disabled: boolean }) => void;
  },
): Promise<Record<string, number> | undefined> {
  return db.transaction().execute(async (trx) => {
    const customer = await trx.selectFrom('customers').select(['id', 'disabled_at']).where('slug', '=', args.slug).forUpdate().executeTakeFirst();
    if (customer === undefined) return undefined;
    const unfinished = await trx
      .selectFrom('jobs')
      .select(['id', 'status'])
      .where('customer', '=', args.slug)
      .where('status', 'in', ['staging', 'queued', 'running', 'held'])
      .forUpdate()
      .execute();
    const busy = unfinished.filter((job) => BUSY_STATUSES.includes(job.status));
    if (busy.length > 0) {
      throw new IngestError(
        'CUSTOMER_BUSY',
        `${busy.length} job(s) of customer "${args.slug}" are being staged or run (first: ${busy[0]!.id}); cancel them or wait, then dry-run again`,
        {
          expose: true,
          details: { jobIds: busy.slice(0, 20).map((job) => job.id) },
        },
      );
    }
    const tables = await findCustomerDataTables(trx);
    args.confirm({ counts: await countCustomerRows(trx, args.slug, tables), disabled: customer.disabled_at !== null });
    const removed: Record<string, number> = {};
    for (const entry of tables) {
      const result = await sql`DELETE FROM ${sql.table(entry.table)} WHERE ${belongsTo(entry, args.slug)}`.execute(trx);
      const count = Number(result.numAffectedRows ?? 0n);
      if (count > 0) removed[entry.table] = count;
    }
    return removed;
  });
}
