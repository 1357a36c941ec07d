import Router from '@koa/router';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/database-schema.js';
import { addHold, findHold, listHolds, releaseHold } from '../../db/holds-repository.js';
import { requireAdmin, type AuthState } from '../auth.js';
import { notFound } from '../http-error.js';
import { jsonBodyOf, parseInput } from '../parse-input.js';
import { holdView } from './admin-views.js';
import { holdCreateSchema } from './offboard-schemas.js';

/**
 * Holds (admin): arrivals matching a hold are accepted and staged as usual but wait as `held`
 * instead of `queued`; releasing (DELETE) queues them again in arrival order (workers find them
 * at their next poll).
 */
export function holdsRoutes(db: Kysely<Database>): Router<AuthState> {
  const router = new Router<AuthState>();

  router.get('/holds', requireAdmin, async (ctx) => {
    ctx.body = { holds: (await listHolds(db)).map(({ hold, heldJobs }) => holdView(hold, heldJobs)) };
  });

  router.post('/holds', requireAdmin, async (ctx) => {
    const body = parseInput(holdCreateSchema, jsonBodyOf(ctx), 'body');
    const { caller } = ctx.state;
    const { hold, heldJobs } = await addHold(db, { ...body, reason: body.reason ?? '', createdBy: caller.label || `key ${caller.keyId}` });
    ctx.status = 201;
    ctx.set('Location', `${ctx.path}/${hold.id}`);
    ctx.body = holdView(hold, heldJobs);
  });

  router.get('/holds/:id', requireAdmin, async (ctx) => {
    const found = await findHold(db, ctx.params.id ?? '');
    if (found === undefined) throw notFound('hold');
    ctx.body = holdView(found.hold, found.heldJobs);
  });

  router.delete('/holds/:id', requireAdmin, async (ctx) => {
    const { caller } = ctx.state;
    const result = await releaseHold(db, { id: ctx.params.id ?? '', releasedBy: caller.label || `key ${caller.keyId}` });
    if (result === undefined) throw notFound('hold');
    ctx.body = { ...holdView(result.hold, 0), released: result.released };
  });

  return router;
}
