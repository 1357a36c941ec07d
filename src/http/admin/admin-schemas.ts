import { SENDER_AUTH_REQUIREMENTS } from '../../core/sender-auth-requirement.js';
import { isoDateTime, slugSchema } from '../common-schemas.js';
import { z } from '../zod-openapi.js';

const MAX_LIST_ENTRIES = 200;
const MAX_ADDRESS_CHARS = 254;
const MAX_PREFIX_CHARS = 1024;

const ingestAddress = z
  .string()
  .max(MAX_ADDRESS_CHARS)
  .regex(/^[^\s@<>]+@[^\s@<>]+$/, 'must be an e-mail address');
const senderPattern = z
  .string()
  .min(1)
  .max(MAX_ADDRESS_CHARS)
  .regex(/^[^\s<>]+$/, 'must be an address or @domain, without spaces');
const s3Prefix = z
  .string()
  .min(1)
  .max(MAX_PREFIX_CHARS)
  .regex(/^[^\u0000-\u001f]+$/, 'must not contain control characters');

const customerFields = {
  name: z.string().trim().min(1).max(200).openapi({ example: "Bob's Burgers" }),
  ingestAddresses: z
    .array(ingestAddress)
    .max(MAX_LIST_ENTRIES)
    .openapi({ description: 'Addresses whose mail is this customer’s', example: ['reports@bobs.example'] }),
  allowedSenders: z
    .array(senderPattern)
    .max(MAX_LIST_ENTRIES)
    .openapi({ description: 'Sender addresses or @domains allowed to deliver; empty = anyone', example: ['@bobs.example'] }),
  s3Prefixes: z
    .array(s3Prefix)
    .max(MAX_LIST_ENTRIES)
    .openapi({ description: 'S3 key prefixes routed to this customer', example: ['uploads/bobs_burgers/'] }),
  requireSenderAuth: z.enum(SENDER_AUTH_REQUIREMENTS).nullable().openapi({
    description:
      'The passing verdict its mail must carry in an Authentication-Results header from smtp.trustedAuthservIds: spf, dkim, dmarc, or any of the three; null = none. Mail without it is refused after DATA (550 5.7.1)',
    example: 'dmarc',
  }),
};

export const customerSchema = z
  .object({
    slug: slugSchema,
    ...customerFields,
    createdAt: isoDateTime,
    updatedAt: isoDateTime,
    disabled: z
      .boolean()
      .openapi({ description: 'A disabled customer gets no arrivals (SMTP 550 5.2.1, uploads 403) and its API keys are refused; its data is kept' }),
    disabledAt: isoDateTime.nullable(),
  })
  .openapi('Customer');

export const customerListSchema = z.object({ customers: z.array(customerSchema) }).openapi('CustomerList');

export const customerCreateSchema = z
  .strictObject({
    slug: slugSchema,
    name: customerFields.name.optional().openapi({ description: 'Default: the slug' }),
    ingestAddresses: customerFields.ingestAddresses.optional(),
    allowedSenders: customerFields.allowedSenders.optional(),
    s3Prefixes: customerFields.s3Prefixes.optional(),
    requireSenderAuth: customerFields.requireSenderAuth.optional().openapi({ description: 'Default: null (none)' }),
  })
  .openapi('CustomerCreate');

export const customerUpdateSchema = z
  .strictObject({
    name: customerFields.name.optional(),
    ingestAddresses: customerFields.ingestAddresses.optional(),
    allowedSenders: customerFields.allowedSenders.optional(),
    s3Prefixes: customerFields.s3Prefixes.optional(),
    requireSenderAuth: customerFields.requireSenderAuth.optional().openapi({ description: 'null removes the requirement' }),
    disabled: z.boolean().optional().openapi({ description: 'true disables the customer (like DELETE without purge), false enables it again' }),
  })
  .openapi('CustomerUpdate', { description: 'Only the fields given change; lists are replaced whole. The slug never changes.' });

export const customerSlugParams = z.object({ slug: slugSchema });

export const apiKeySchema = z
  .object({
    id: z.string().openapi({ example: '12' }),
    role: z.enum(['admin', 'customer']),
    customer: z.string().nullable().openapi({ example: 'bobs_burgers' }),
    label: z.string().openapi({ example: 'HView frontend' }),
    createdAt: isoDateTime,
    revokedAt: isoDateTime.nullable(),
  })
  .openapi('ApiKey');

export const apiKeyListSchema = z.object({ apiKeys: z.array(apiKeySchema) }).openapi('ApiKeyList');

export const apiKeyListQuerySchema = z.strictObject({
  customer: z.string().optional().openapi({ description: 'Only this customer’s keys', example: 'bobs_burgers' }),
  include_revoked: z.enum(['true', 'false']).optional().openapi({ description: 'Also list revoked keys', example: 'false' }),
});

export const apiKeyCreateSchema = z
  .strictObject({
    customer: slugSchema.nullable().optional().openapi({ description: 'The customer the key is scoped to; null or absent = an admin key' }),
    label: z.string().max(200).optional().openapi({ example: 'HView frontend' }),
  })
  .openapi('ApiKeyCreate');

export const apiKeyCreatedSchema = apiKeySchema
  .extend({
    key: z.string().openapi({
      description: 'The key itself: shown only in this answer, only its SHA-256 is stored',
      example: 'dp_Qm9ic0J1cmdlcnNLZXlFeGFtcGxlMDEyMzQ1Njc4OQ',
    }),
  })
  .openapi('ApiKeyCreated');

export const apiKeyIdParams = z.object({ id: z.string().openapi({ example: '12' }) });
