import Router from '@koa/router';
import type { Kysely } from 'kysely';
import { countActiveAdminKeys, createApiKey, findApiKeyById, listApiKeys, revokeApiKey } from '../../db/api-keys-repository.js';
import { findCustomerBySlug } from '../../db/customers-repository.js';
import type { Database } from '../../db/database-schema.js';
import { apiKeyView } from './admin-views.js';
import { requireAdmin, type AuthState } from '../auth.js';
import { badRequest, conflict, notFound } from '../http-error.js';
import { jsonBodyOf, parseInput, queryOf } from '../parse-input.js';
import { apiKeyCreateSchema, apiKeyListQuerySchema } from './admin-schemas.js';

/** API keys for admins (what `dataprocessor apikey …` does). A key is shown once, in the 201. */
export function apiKeysRoutes(db: Kysely<Database>): Router<AuthState> {
  const router = new Router<AuthState>();

  router.get('/api-keys', requireAdmin, async (ctx) => {
    const query = parseInput(apiKeyListQuerySchema, queryOf(ctx), 'query');
    let customerId: string | undefined;
    if (query.customer !== undefined) {
      const customer = await findCustomerBySlug(db, query.customer);
      if (customer === undefined) throw badRequest('customer', `no customer "${query.customer}"`);
      customerId = customer.id;
    }
    const keys = await listApiKeys(db, { ...(customerId === undefined ? {} : { customerId }), includeRevoked: query.include_revoked === 'true' });
    ctx.body = { apiKeys: keys.map(apiKeyView) };
  });

  router.post('/api-keys', requireAdmin, async (ctx) => {
    const body = parseInput(apiKeyCreateSchema, jsonBodyOf(ctx), 'body');
    let customerId: string | null = null;
    if (body.customer !== undefined && body.customer !== null) {
      const customer = await findCustomerBySlug(db, body.customer);
      if (customer === undefined) throw badRequest('customer', `no customer "${body.customer}"`);
      customerId = customer.id;
    }
    const { key, id } = await createApiKey(db, { customerId, label: body.label ?? '' });
    const info = await findApiKeyById(db, id);
    if (info === undefined) throw new Error('the key vanished right after it was created');
    ctx.status = 201;
    ctx.set('Location', `${ctx.path}/${id}`);
    ctx.body = { ...apiKeyView(info), key };
  });

  router.get('/api-keys/:id', requireAdmin, async (ctx) => {
    const key = await findApiKeyById(db, ctx.params.id ?? '');
    if (key === undefined) throw notFound('API key');
    ctx.body = apiKeyView(key);
  });

  /** Revokes (the row stays, for the audit trail); effective on the very next request. */
  router.delete('/api-keys/:id', requireAdmin, async (ctx) => {
    const key = await findApiKeyById(db, ctx.params.id ?? '');
    if (key === undefined) throw notFound('API key');
    if (key.revokedAt !== null) throw conflict('the key is already revoked');
    if (key.role === 'admin' && (await countActiveAdminKeys(db)) <= 1) throw conflict('this is the last active admin key; create another admin key first');
    if (!(await revokeApiKey(db, key.id))) throw conflict('the key is already revoked');
    ctx.status = 204;
  });

  return router;
}
