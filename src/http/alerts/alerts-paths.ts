import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { standardErrors } from '../common-schemas.js';
import {
  alertConditionListSchema,
  alertConditionsQuerySchema,
  alertDeliveriesQuerySchema,
  alertDeliveryListSchema,
  alertSubscriptionCreateSchema,
  alertSubscriptionIdParams,
  alertSubscriptionListSchema,
  alertSubscriptionSchema,
  alertSubscriptionUpdateSchema,
  alertSubscriptionWithSecretSchema,
  alertTestResultSchema,
} from './alerts-schemas.js';

const json = <T>(schema: T) => ({ 'application/json': { schema } });
const common = { tags: ['alerts'], security: [{ ApiKey: [] }] };
const adminErrors = (extra: Readonly<Record<number, string>> = {}) => standardErrors({ 403: 'Not an admin key', ...extra });
const bodyErrors = { 400: 'A field is invalid or unknown (the message names it)', 413: 'Body larger than http.bodyLimitBytes', 415: 'Body is not JSON' };

/** The routes of src/http/alerts/alerts-routes.ts. */
export function registerAlertPaths(registry: OpenAPIRegistry, prefix: string): void {
  const base = `${prefix}/alerts`;
  registry.registerPath({
    method: 'get',
    path: `${base}/subscriptions`,
    ...common,
    summary: 'List alert subscriptions (never their secrets)',
    responses: { 200: { description: 'Every subscription', content: json(alertSubscriptionListSchema) }, ...adminErrors() },
  });
  registry.registerPath({
    method: 'post',
    path: `${base}/subscriptions`,
    ...common,
    summary: 'Subscribe a webhook or a mail address to alerts, global or for one customer',
    description: 'A webhook’s HMAC secret is generated unless given, and returned in this answer only. docs/alerts.md shows how a receiver verifies it.',
    request: { body: { content: json(alertSubscriptionCreateSchema), required: true } },
    responses: { 201: { description: 'Created; store `secret` now', content: json(alertSubscriptionWithSecretSchema) }, ...adminErrors(bodyErrors) },
  });
  registry.registerPath({
    method: 'get',
    path: `${base}/subscriptions/{id}`,
    ...common,
    summary: 'One subscription',
    request: { params: alertSubscriptionIdParams },
    responses: { 200: { description: 'The subscription', content: json(alertSubscriptionSchema) }, ...adminErrors({ 404: 'No such subscription' }) },
  });
  registry.registerPath({
    method: 'patch',
    path: `${base}/subscriptions/{id}`,
    ...common,
    summary: 'Change a subscription: target, kinds, description, enabled, or its secret (rotated or given)',
    request: { params: alertSubscriptionIdParams, body: { content: json(alertSubscriptionUpdateSchema), required: true } },
    responses: {
      200: { description: 'The updated subscription; `secret` is set when it was replaced', content: json(alertSubscriptionWithSecretSchema) },
      ...adminErrors({ ...bodyErrors, 404: 'No such subscription' }),
    },
  });
  registry.registerPath({
    method: 'delete',
    path: `${base}/subscriptions/{id}`,
    ...common,
    summary: 'Remove a subscription and its deliveries (disable it to keep their history)',
    request: { params: alertSubscriptionIdParams },
    responses: { 204: { description: 'Removed' }, ...adminErrors({ 404: 'No such subscription' }) },
  });
  registry.registerPath({
    method: 'post',
    path: `${base}/subscriptions/{id}/test`,
    ...common,
    summary: 'Send a test notification (`alert.test`) to this subscription',
    request: { params: alertSubscriptionIdParams },
    responses: { 202: { description: 'Queued for delivery', content: json(alertTestResultSchema) }, ...adminErrors({ 404: 'No such subscription' }) },
  });
  registry.registerPath({
    method: 'get',
    path: `${base}/deliveries`,
    ...common,
    summary: 'Deliveries of notifications, newest first, with every attempt and its outcome',
    request: { query: alertDeliveriesQuerySchema },
    responses: { 200: { description: 'A page of deliveries', content: json(alertDeliveryListSchema) }, ...adminErrors({ 400: 'A parameter is invalid' }) },
  });
  registry.registerPath({
    method: 'get',
    path: `${base}/conditions`,
    ...common,
    summary: 'Alert conditions, newest first: open ones and those resolved',
    request: { query: alertConditionsQuerySchema },
    responses: { 200: { description: 'A page of conditions', content: json(alertConditionListSchema) }, ...adminErrors({ 400: 'A parameter is invalid' }) },
  });
}
