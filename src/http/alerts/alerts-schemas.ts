import { ALERT_KINDS } from '../../alerting/alert-kinds.js';
import { ALERT_CHANNELS, ALERT_STATES, DELIVERY_STATUSES } from '../../db/database-schema.js';
import { isoDateTime, slugSchema } from '../common-schemas.js';
import { z } from '../zod-openapi.js';

const MAX_URL_CHARS = 2000;
/** Shorter secrets are guessable offline from one signed request. */
const MIN_SECRET_CHARS = 16;
export const MAX_ALERT_PAGE = 500;
export const DEFAULT_ALERT_PAGE = 100;

const kindSchema = z.enum(ALERT_KINDS).openapi('AlertKind');
const webhookUrl = z
  .url({ protocol: /^https?$/, error: 'must be an http or https URL' })
  .max(MAX_URL_CHARS)
  .openapi({ description: 'Where notifications are POSTed', example: 'https://hooks.example.com/dataprocessor' });
const mailAddress = z.email().max(254).openapi({ example: 'storage-team@bobs.example' });
const secret = z
  .string()
  .min(MIN_SECRET_CHARS)
  .max(200)
  .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces')
  .openapi({ description: `The HMAC key (at least ${MIN_SECRET_CHARS} characters); generated when not given` });
const kinds = z.array(kindSchema).max(ALERT_KINDS.length).openapi({ description: 'Only these kinds; empty or absent: every kind' });
const description = z.string().trim().max(500).openapi({ example: 'Storage team on-call' });

export const alertSubscriptionCreateSchema = z
  .strictObject({
    customer: slugSchema
      .nullable()
      .optional()
      .openapi({ description: "Only this customer's conditions; null or absent: global (every customer's and the service's own)" }),
    channel: z.enum(ALERT_CHANNELS).optional().openapi({ description: 'webhook (default) or email (needs alerts.mail.relay)' }),
    url: webhookUrl.optional(),
    email: mailAddress.optional(),
    secret: secret.optional(),
    kinds: kinds.optional(),
    description: description.optional(),
    enabled: z.boolean().optional(),
  })
  .superRefine((body, ctx) => {
    const channel = body.channel ?? 'webhook';
    if (channel === 'webhook' && body.url === undefined) ctx.addIssue({ code: 'custom', path: ['url'], message: 'is required for a webhook' });
    if (channel === 'webhook' && body.email !== undefined) ctx.addIssue({ code: 'custom', path: ['email'], message: 'is for email subscriptions' });
    if (channel === 'email' && body.email === undefined) ctx.addIssue({ code: 'custom', path: ['email'], message: 'is required for an email subscription' });
    if (channel === 'email' && (body.url !== undefined || body.secret !== undefined)) {
      ctx.addIssue({ code: 'custom', path: [body.url !== undefined ? 'url' : 'secret'], message: 'is for webhook subscriptions' });
    }
  })
  .openapi('AlertSubscriptionCreate');

export const alertSubscriptionUpdateSchema = z
  .strictObject({
    url: webhookUrl.optional(),
    email: mailAddress.optional(),
    secret: secret.optional().openapi({ description: 'Replace the HMAC key with this one' }),
    rotateSecret: z.boolean().optional().openapi({ description: 'true: replace the HMAC key with a new generated one (in the answer, once)' }),
    kinds: kinds.optional(),
    description: description.optional(),
    enabled: z.boolean().optional().openapi({ description: 'false stops deliveries; its pending ones are marked failed' }),
  })
  .refine((body) => !(body.secret !== undefined && body.rotateSecret === true), { message: 'give secret or rotateSecret, not both', path: ['rotateSecret'] })
  .openapi('AlertSubscriptionUpdate', { description: 'Only the fields given change.' });

export const alertSubscriptionSchema = z
  .object({
    id: z.string().openapi({ example: '0b6a4bd1-5c5a-4a57-9d0b-2f4c7e1d2a11' }),
    customer: z.string().nullable().openapi({ description: 'null: global' }),
    channel: z.enum(ALERT_CHANNELS),
    url: z.string().nullable(),
    email: z.string().nullable(),
    secretHint: z.string().nullable().openapi({ description: 'The last characters of the HMAC key, to tell keys apart (never the key)', example: '…x4Qk' }),
    kinds: z.array(kindSchema),
    description: z.string(),
    enabled: z.boolean(),
    createdAt: isoDateTime,
    updatedAt: isoDateTime,
  })
  .openapi('AlertSubscription');

export const alertSubscriptionWithSecretSchema = alertSubscriptionSchema
  .extend({
    secret: z.string().nullable().openapi({ description: 'The HMAC key: shown in this answer only; store it in the receiver' }),
  })
  .openapi('AlertSubscriptionWithSecret');

export const alertSubscriptionListSchema = z.object({ subscriptions: z.array(alertSubscriptionSchema) }).openapi('AlertSubscriptionList');
export const alertSubscriptionIdParams = z.object({ id: z.string().openapi({ example: '0b6a4bd1-5c5a-4a57-9d0b-2f4c7e1d2a11' }) });
export const alertTestResultSchema = z
  .object({ eventId: z.string(), deliveries: z.number().int().openapi({ description: '1 when the subscription is enabled, else 0' }) })
  .openapi('AlertTestResult');

const pageLimit = z
  .string()
  .regex(/^[1-9]\d{0,5}$/, 'must be a positive integer')
  .optional()
  .openapi({ description: `Page size 1–${MAX_ALERT_PAGE} (default ${DEFAULT_ALERT_PAGE}); larger values are clamped`, example: '50' });
const before = z
  .string()
  .regex(/^\d{1,19}$/, 'must be an id from the previous page')
  .optional()
  .openapi({ description: 'Only rows older than this id (the `next` of the previous page)' });

export const alertDeliveriesQuerySchema = z.strictObject({
  status: z.enum(DELIVERY_STATUSES).optional(),
  subscription: z.uuid().optional().openapi({ description: 'Only this subscription’s deliveries' }),
  customer: slugSchema.optional().openapi({ description: 'Only deliveries of this customer’s conditions' }),
  kind: kindSchema.optional(),
  event: z.uuid().optional().openapi({ description: 'Only this notification (X-DataProcessor-Event-Id)' }),
  limit: pageLimit,
  before,
});

const attemptSchema = z
  .object({
    attempt: z.number().int(),
    at: isoDateTime,
    outcome: z.enum(['delivered', 'retry', 'failed']),
    statusCode: z.number().int().nullable().openapi({ description: 'HTTP status (webhook) or SMTP reply code (mail); null when there was no answer' }),
    error: z.string().nullable(),
    ms: z.number().int(),
  })
  .openapi('AlertDeliveryAttempt');

export const alertDeliverySchema = z
  .object({
    id: z.string(),
    eventId: z.string(),
    subscriptionId: z.string(),
    channel: z.enum(ALERT_CHANNELS),
    target: z.string().nullable().openapi({ description: 'The URL or address delivered to' }),
    customer: z.string().nullable(),
    conditionId: z.string().nullable(),
    kind: z.string(),
    key: z.string(),
    state: z.enum(ALERT_STATES),
    status: z.enum(DELIVERY_STATUSES),
    attempts: z.number().int(),
    nextAttemptAt: isoDateTime.nullable().openapi({ description: 'When a pending delivery is tried next' }),
    lastAttemptAt: isoDateTime.nullable(),
    lastStatusCode: z.number().int().nullable(),
    lastError: z.string().nullable(),
    deliveredAt: isoDateTime.nullable(),
    createdAt: isoDateTime,
    attemptLog: z.array(attemptSchema),
  })
  .openapi('AlertDelivery');

export const alertDeliveryListSchema = z
  .object({
    deliveries: z.array(alertDeliverySchema),
    next: z.string().nullable().openapi({ description: 'Pass as `before` for the next page; null at the end' }),
  })
  .openapi('AlertDeliveryList');

export const alertConditionsQuerySchema = z.strictObject({
  open: z.enum(['true', 'false']).optional().openapi({ description: 'true: open conditions only; false: resolved ones only' }),
  kind: kindSchema.optional(),
  customer: slugSchema.optional(),
  limit: pageLimit,
  before,
});

export const alertConditionSchema = z
  .object({
    id: z.string(),
    kind: z.string(),
    key: z.string(),
    customer: z.string().nullable(),
    scope: z.record(z.string(), z.unknown()),
    details: z.record(z.string(), z.unknown()).openapi({ description: 'The latest occurrence' }),
    openedAt: isoDateTime,
    lastSeenAt: isoDateTime,
    occurrences: z.number().int(),
    unreported: z.number().int().openapi({ description: 'Occurrences the next digest reports' }),
    lastNotifiedAt: isoDateTime,
    resolvedAt: isoDateTime.nullable(),
  })
  .openapi('AlertCondition');

export const alertConditionListSchema = z.object({ conditions: z.array(alertConditionSchema), next: z.string().nullable() }).openapi('AlertConditionList');
