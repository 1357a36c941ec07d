import { isoDateTime } from '../common-schemas.js';
import { z } from '../zod-openapi.js';

export const REFUSED_PAGE_SIZE = 50;
export const MAX_REFUSED_PAGE_SIZE = 200;

const instant = z
  .string()
  .refine((value) => !Number.isNaN(Date.parse(value)), 'must be an ISO 8601 date-time')
  .optional();

export const refusedQuerySchema = z.strictObject({
  customer: z
    .string()
    .min(1)
    .max(63)
    .optional()
    .openapi({ description: 'Only refusals meant for this customer (a customer key sees only its own)', example: 'bobs_burgers' }),
  source: z.enum(['smtp', 'mailhandler', 's3', 'webhook']).optional(),
  code: z.string().min(1).max(64).optional().openapi({ description: 'An error code (docs/errors.md)', example: 'SENDER_NOT_ALLOWED' }),
  q: z
    .string()
    .min(3)
    .max(200)
    .optional()
    .openapi({ description: 'Case-insensitive substring of the sender, a recipient, the client address or the message', example: 'grid1' }),
  since: instant.openapi({ description: 'At or after (ISO 8601)', example: '2026-12-01T00:00:00Z' }),
  until: instant.openapi({ description: 'Before (ISO 8601)', example: '2026-12-04T00:00:00Z' }),
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_REFUSED_PAGE_SIZE)
    .optional()
    .openapi({ description: `Page size (default ${REFUSED_PAGE_SIZE})`, example: 50 }),
  before: z
    .string()
    .regex(/^\d{1,19}$/, 'must be the `next` of the previous page')
    .optional()
    .openapi({ description: 'The `next` of the previous page' }),
});

export const refusedArrivalSchema = z
  .object({
    id: z.string(),
    at: isoDateTime,
    node: z.string(),
    source: z.string(),
    stage: z.string().openapi({ description: "'connection', 'MAIL FROM', 'RCPT TO', 'DATA' (SMTP) or 'event' (S3)" }),
    code: z.string(),
    message: z.string(),
    reply: z.string().openapi({ example: '550 5.7.1 sender <x@y> is not allowed to send to <bobs_burgers@ingest.example>' }),
    customer: z.string().nullable(),
    sender: z.string().nullable(),
    recipients: z.array(z.string()),
    sizeBytes: z.number().int().nullable(),
    clientAddress: z.string().nullable(),
    clientName: z.string().nullable(),
    details: z.record(z.string(), z.unknown()),
  })
  .openapi('RefusedArrival');

export const refusedListSchema = z
  .object({ refused: z.array(refusedArrivalSchema), next: z.string().nullable().openapi({ description: 'Pass as `before` for the next (older) page' }) })
  .openapi('RefusedList');
