import { sql, type Kysely } from 'kysely';
import type { RefusedArrival } from '../core/refused-arrival.js';
import type { Database, RefusedArrivalRow } from './database-schema.js';

export interface RefusedFilter {
  readonly customer?: string | undefined;
  readonly source?: string | undefined;
  readonly code?: string | undefined;
  /** Substring of the sender, a recipient, the client address or the message (case-insensitive). */
  readonly q?: string | undefined;
  readonly since?: Date | undefined;
  readonly until?: Date | undefined;
}

/** Newest first; `before` is the id of the last row of the previous page. */
export async function listRefusedArrivals(
  db: Kysely<Database>,
  args: { readonly filter: RefusedFilter; readonly limit: number; readonly before?: string | undefined },
): Promise<RefusedArrivalRow[]> {
  const { filter } = args;
  let query = db.selectFrom('refused_arrivals').selectAll();
  if (filter.customer !== undefined) query = query.where('customer', '=', filter.customer);
  if (filter.source !== undefined) query = query.where('source', '=', filter.source);
  if (filter.code !== undefined) query = query.where('code', '=', filter.code);
  if (filter.since !== undefined) query = query.where('at', '>=', filter.since);
  if (filter.until !== undefined) query = query.where('at', '<', filter.until);
  if (args.before !== undefined) query = query.where('id', '<', args.before);
  if (filter.q !== undefined) {
    const pattern = `%${filter.q.replace(/[\\%_]/g, (character) => `\\${character}`)}%`;
    query = query.where(
      sql<boolean>`(sender ILIKE ${pattern} OR client_address ILIKE ${pattern} OR message ILIKE ${pattern} OR array_to_string(recipients, ' ') ILIKE ${pattern})`,
    );
  }
  return query.orderBy('id', 'desc').limit(args.limit).execute();
}

/** One INSERT for a batch of refusals. */
export async function insertRefusedArrivals(db: Kysely<Database>, node: string, refusals: readonly RefusedArrival[]): Promise<void> {
  if (refusals.length === 0) return;
  await db
    .insertInto('refused_arrivals')
    .values(
      refusals.map((refusal) => ({
        node,
        source: refusal.source,
        stage: refusal.stage,
        code: refusal.code,
        message: refusal.message,
        reply: refusal.reply,
        customer: refusal.customer ?? null,
        sender: refusal.sender ?? null,
        recipients: [...(refusal.recipients ?? [])],
        size_bytes: refusal.sizeBytes ?? null,
        client_address: refusal.clientAddress ?? null,
        client_name: refusal.clientName ?? null,
        details: JSON.stringify(refusal.details ?? {}),
      })),
    )
    .execute();
}

/** Deletes up to `limit` refusals older than `cutoff`; returns how many went (call again while it is `limit`). */
export async function deleteRefusedArrivalsBefore(db: Kysely<Database>, args: { readonly cutoff: Date; readonly limit: number }): Promise<number> {
  const result = await sql`
    DELETE FROM refused_arrivals WHERE id IN (
      SELECT id FROM refused_arrivals WHERE at < ${args.cutoff} ORDER BY at LIMIT ${args.limit}
    )`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}
