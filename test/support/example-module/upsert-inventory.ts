import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../../../src/db/database-schema.js';
import type { ModuleContext, ParseResult, UpsertStats } from '../../../src/modules/types.js';
import type { InventoryItem } from './load-inventory.js';

/**
 * The only write, inside the job's transaction: one row per (customer, sku), on its natural key,
 * so ingesting the same report again changes nothing. A SKU listed twice is a problem found only
 * now, while writing (as a streaming module finds them): it goes to the same issue log.
 */
export async function upsertInventory(trx: Transaction<Database>, parsed: ParseResult<readonly InventoryItem[]>, context: ModuleContext): Promise<UpsertStats> {
  const seen = new Set<string>();
  let written = 0;
  for (const item of parsed.records) {
    if (seen.has(item.sku))
      parsed.issues.add({ file: 'inventory.csv', line: null, severity: 'warning', message: `sku ${item.sku} is listed twice; the last one is kept` });
    seen.add(item.sku);
    const result = await sql`
      INSERT INTO test_example_inventory (customer, sku, quantity, last_job_id)
      VALUES (${context.customer}, ${item.sku}, ${item.quantity}, ${context.jobId})
      ON CONFLICT (customer, sku) DO UPDATE SET quantity = excluded.quantity, last_job_id = excluded.last_job_id
      WHERE test_example_inventory.quantity IS DISTINCT FROM excluded.quantity`.execute(trx);
    written += Number(result.numAffectedRows ?? 0n);
  }
  return { test_example_inventory: written };
}

/** The table a real module creates in its migration (migrations/NNNN-<vendor>-<type>.ts). */
export async function createExampleInventoryTable(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE IF NOT EXISTS test_example_inventory (
      customer text NOT NULL, sku text NOT NULL, quantity integer, last_job_id uuid NOT NULL,
      PRIMARY KEY (customer, sku)
    )`.execute(db);
}
