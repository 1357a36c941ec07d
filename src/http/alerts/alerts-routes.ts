import { randomUUID } from 'node:crypto';
import Router from '@koa/router';
import { testBodyFor } from '../../alerting/alert-body.js';
import { sendOpenConditionsTo } from '../../alerting/send-open-conditions.js';
import { generateWebhookSecret } from '../../alerting/webhook-signature.js';
import { insertAlertEvent, listConditions } from '../../db/alert-conditions-repository.js';
import { listDeliveries } from '../../db/alert-deliveries-repository.js';
import {
  deleteAlertSubscription,
  findAlertSubscription,
  insertAlertSubscription,
  listAlertSubscriptions,
  updateAlertSubscription,
} from '../../db/alert-subscriptions-repository.js';
import { findCustomerBySlug } from '../../db/customers-repository.js';
import type { AppDeps } from '../app-deps.js';
import { requireAdmin, type AuthState } from '../auth.js';
import { badRequest, notFound } from '../http-error.js';
import { jsonBodyOf, parseInput, queryOf } from '../parse-input.js';
import {
  DEFAULT_ALERT_PAGE,
  MAX_ALERT_PAGE,
  alertConditionsQuerySchema,
  alertDeliveriesQuerySchema,
  alertSubscriptionCreateSchema,
  alertSubscriptionUpdateSchema,
} from './alerts-schemas.js';
import { alertConditionView, alertDeliveryView, alertSubscriptionView } from './alerts-views.js';

/**
 * Alerting (admin; docs/alerts.md): subscriptions (a webhook's secret is in the answer that made
 * or rotated it, never again), the deliveries with their attempts, and the conditions.
 */
export function alertsRoutes(deps: Pick<AppDeps, 'db' | 'config' | 'deliverAlerts'>): Router<AuthState> {
  const { db } = deps;
  const router = new Router<AuthState>();

  router.get('/alerts/subscriptions', requireAdmin, async (ctx) => {
    ctx.body = { subscriptions: (await listAlertSubscriptions(db)).map(alertSubscriptionView) };
  });

  router.post('/alerts/subscriptions', requireAdmin, async (ctx) => {
    const body = parseInput(alertSubscriptionCreateSchema, jsonBodyOf(ctx), 'body');
    const customer = body.customer ?? null;
    if (customer !== null && (await findCustomerBySlug(db, customer)) === undefined) throw badRequest('customer', `no customer "${customer}"`);
    const channel = body.channel ?? 'webhook';
    const secret = channel === 'webhook' ? (body.secret ?? generateWebhookSecret()) : null;
    const row = await insertAlertSubscription(db, {
      customer,
      channel,
      url: body.url ?? null,
      email: body.email ?? null,
      secret,
      kinds: body.kinds ?? [],
      description: body.description ?? '',
      enabled: body.enabled ?? true,
    });
    if ((await sendOpenConditionsTo(db, { subscription: row, node: deps.config.node.name })) > 0) deps.deliverAlerts?.();
    ctx.status = 201;
    ctx.set('Location', `${ctx.path}/${row.id}`);
    ctx.body = { ...alertSubscriptionView(row), secret };
  });

  router.get('/alerts/subscriptions/:id', requireAdmin, async (ctx) => {
    const row = await findAlertSubscription(db, ctx.params.id ?? '');
    if (row === undefined) throw notFound('subscription');
    ctx.body = alertSubscriptionView(row);
  });

  router.patch('/alerts/subscriptions/:id', requireAdmin, async (ctx) => {
    const body = parseInput(alertSubscriptionUpdateSchema, jsonBodyOf(ctx), 'body');
    const existing = await findAlertSubscription(db, ctx.params.id ?? '');
    if (existing === undefined) throw notFound('subscription');
    if (existing.channel === 'webhook' && body.email !== undefined) throw badRequest('email', 'is for email subscriptions');
    if (existing.channel === 'email' && (body.url !== undefined || body.secret !== undefined || body.rotateSecret === true)) {
      throw badRequest(body.url !== undefined ? 'url' : 'secret', 'is for webhook subscriptions');
    }
    const newSecret = body.rotateSecret === true ? generateWebhookSecret() : body.secret;
    const { rotateSecret: _rotate, ...change } = body;
    const row = await updateAlertSubscription(db, existing.id, { ...change, ...(newSecret === undefined ? {} : { secret: newSecret }) });
    if (row === undefined) throw notFound('subscription');
    if (!existing.enabled && row.enabled && (await sendOpenConditionsTo(db, { subscription: row, node: deps.config.node.name })) > 0) deps.deliverAlerts?.();
    ctx.body = { ...alertSubscriptionView(row), secret: newSecret ?? null };
  });

  router.delete('/alerts/subscriptions/:id', requireAdmin, async (ctx) => {
    if (!(await deleteAlertSubscription(db, ctx.params.id ?? ''))) throw notFound('subscription');
    ctx.status = 204;
  });

  router.post('/alerts/subscriptions/:id/test', requireAdmin, async (ctx) => {
    const row = await findAlertSubscription(db, ctx.params.id ?? '');
    if (row === undefined) throw notFound('subscription');
    const eventId = randomUUID();
    const deliveries = await insertAlertEvent(db, {
      id: eventId,
      conditionId: null,
      kind: 'test',
      key: 'test',
      state: 'test',
      customer: row.customer,
      body: testBodyFor({ eventId, customer: row.customer, node: deps.config.node.name }),
      onlySubscription: row.id,
    });
    deps.deliverAlerts?.();
    ctx.status = 202;
    ctx.body = { eventId, deliveries };
  });

  router.get('/alerts/deliveries', requireAdmin, async (ctx) => {
    const query = parseInput(alertDeliveriesQuerySchema, queryOf(ctx), 'query');
    const limit = pageSize(query.limit);
    const rows = await listDeliveries(db, {
      filter: { status: query.status, subscriptionId: query.subscription, customer: query.customer, kind: query.kind, eventId: query.event },
      limit,
      before: query.before,
    });
    ctx.body = { deliveries: rows.map(alertDeliveryView), next: rows.length === limit ? (rows.at(-1)?.id ?? null) : null };
  });

  router.get('/alerts/conditions', requireAdmin, async (ctx) => {
    const query = parseInput(alertConditionsQuerySchema, queryOf(ctx), 'query');
    const limit = pageSize(query.limit);
    const rows = await listConditions(db, {
      filter: { open: query.open === undefined ? undefined : query.open === 'true', kind: query.kind, customer: query.customer },
      limit,
      before: query.before,
    });
    ctx.body = { conditions: rows.map(alertConditionView), next: rows.length === limit ? (rows.at(-1)?.id ?? null) : null };
  });

  return router;
}

function pageSize(limit: string | undefined): number {
  return Math.min(MAX_ALERT_PAGE, limit === undefined ? DEFAULT_ALERT_PAGE : Number(limit));
}
