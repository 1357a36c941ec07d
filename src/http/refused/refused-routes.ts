import Router from '@koa/router';
import type { Kysely } from 'kysely';
import type { Database, RefusedArrivalRow } from '../../db/database-schema.js';
import { listRefusedArrivals } from '../../db/refused-arrivals-repository.js';
import type { AuthState } from '../auth.js';
import { parseInput } from '../parse-input.js';
import { REFUSED_PAGE_SIZE, refusedQuerySchema } from './refused-schemas.js';

/**
 * "Why didn't grid X's mail arrive?": refusals recorded by src/pipeline/refusal-recorder.ts. A
 * customer key sees the refusals meant for its customer (a sender not on its allow-list, its
 * disabled account); unknown recipients belong to no customer and only admins see them.
 */
export function refusedRoutes(db: Kysely<Database>): Router<AuthState> {
  const router = new Router<AuthState>();
  router.get('/refused', async (ctx) => {
    const query = parseInput(refusedQuerySchema, ctx.query, 'query');
    const { caller } = ctx.state;
    if (caller.role !== 'admin' && query.customer !== undefined && query.customer !== caller.customer) {
      ctx.body = { refused: [], next: null };
      return;
    }
    const limit = query.limit ?? REFUSED_PAGE_SIZE;
    const rows = await listRefusedArrivals(db, {
      filter: {
        customer: caller.role === 'admin' ? query.customer : caller.customer!,
        source: query.source,
        code: query.code,
        q: query.q,
        since: query.since === undefined ? undefined : new Date(query.since),
        until: query.until === undefined ? undefined : new Date(query.until),
      },
      limit: limit + 1,
      before: query.before,
    });
    const page = rows.slice(0, limit);
    ctx.body = { refused: page.map(refusedView), next: rows.length > limit ? (page.at(-1)?.id ?? null) : null };
  });
  return router;
}

function refusedView(row: RefusedArrivalRow) {
  return {
    id: String(row.id),
    at: row.at.toISOString(),
    node: row.node,
    source: row.source,
    stage: row.stage,
    code: row.code,
    message: row.message,
    reply: row.reply,
    customer: row.customer,
    sender: row.sender,
    recipients: row.recipients,
    sizeBytes: row.size_bytes === null ? null : Number(row.size_bytes),
    clientAddress: row.client_address,
    clientName: row.client_name,
    details: (row.details ?? {}) as Record<string, unknown>,
  };
}
