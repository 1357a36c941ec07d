import Router from '@koa/router';
import type { Kysely } from 'kysely';
import type { ArchiveS3Settings } from '../../config/retention-schema.js';
import { addCustomerIfNew, findCustomerBySlug, listCustomers, updateCustomer } from '../../db/customers-repository.js';
import type { Database } from '../../db/database-schema.js';
import { IngestError } from '../../core/ingest-error.js';
import { planOffboarding, purgeCustomer } from '../../lifecycle/offboard-customer.js';
import { customerView } from './admin-views.js';
import { requireAdmin, type AuthState } from '../auth.js';
import { conflict, notFound } from '../http-error.js';
import { jsonBodyOf, parseInput, queryOf } from '../parse-input.js';
import { customerCreateSchema, customerUpdateSchema } from './admin-schemas.js';
import { customerDeleteQuerySchema } from './offboard-schemas.js';

/**
 * Customers CRUD for admins (what `dataprocessor customer …` does), for HView's frontend. A
 * route (address, `<slug>@`/`+<slug>@` in `ingestDomains`, S3 prefix) another customer holds is
 * a 409 `ROUTE_TAKEN` naming the holder. DELETE disables (data kept, PATCH `disabled: false`
 * enables again); DELETE with `purge=true` removes everything, after a dry run.
 */
export function customersRoutes(
  db: Kysely<Database>,
  ingestDomains: readonly string[],
  files: { readonly dataRoot: string; readonly archiveRoot: string; readonly archiveS3: ArchiveS3Settings | null },
): Router<AuthState> {
  const router = new Router<AuthState>();

  router.get('/customers', requireAdmin, async (ctx) => {
    ctx.body = { customers: (await listCustomers(db)).map(customerView) };
  });

  router.post('/customers', requireAdmin, async (ctx) => {
    const body = parseInput(customerCreateSchema, jsonBodyOf(ctx), 'body');
    const created = await addCustomerIfNew(db, { ...body, name: body.name ?? body.slug }, { ingestDomains });
    if (created === undefined) throw conflict(`a customer "${body.slug}" exists already`);
    ctx.status = 201;
    ctx.set('Location', `${ctx.path}/${created.slug}`);
    ctx.body = customerView(created);
  });

  router.get('/customers/:slug', requireAdmin, async (ctx) => {
    const customer = await findCustomerBySlug(db, ctx.params.slug ?? '');
    if (customer === undefined) throw notFound('customer');
    ctx.body = customerView(customer);
  });

  router.patch('/customers/:slug', requireAdmin, async (ctx) => {
    const changes = parseInput(customerUpdateSchema, jsonBodyOf(ctx), 'body');
    const updated = await updateCustomer(db, ctx.params.slug ?? '', changes, { ingestDomains });
    if (updated === undefined) throw notFound('customer');
    ctx.body = customerView(updated);
  });

  router.delete('/customers/:slug', requireAdmin, async (ctx) => {
    const slug = ctx.params.slug ?? '';
    const query = parseInput(customerDeleteQuerySchema, queryOf(ctx), 'query');
    if (query.purge !== 'true') {
      if ((await updateCustomer(db, slug, { disabled: true })) === undefined) throw notFound('customer');
      ctx.status = 204;
      return;
    }
    if (query.dryRun === 'true') {
      const plan = await planOffboarding({ db, ...files }, slug);
      if (plan === undefined) throw notFound('customer');
      ctx.body = { ...plan, dryRun: true, expiresAt: plan.expiresAt.toISOString() };
      return;
    }
    if (query.confirm === undefined) {
      throw new IngestError(
        'CONFIRMATION_REQUIRED',
        'confirm: a purge needs the token of a dry run: call with purge=true&dryRun=true first, then purge=true&confirm=<token>',
        { expose: true },
      );
    }
    const result = await purgeCustomer({ db, ...files }, { slug, token: query.confirm });
    if (result === undefined) throw notFound('customer');
    ctx.body = { ...result, dryRun: false };
  });

  return router;
}
