import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import {
  apiKeyCreatedSchema,
  apiKeyCreateSchema,
  apiKeyIdParams,
  apiKeyListQuerySchema,
  apiKeyListSchema,
  apiKeySchema,
  customerCreateSchema,
  customerListSchema,
  customerSchema,
  customerSlugParams,
  customerUpdateSchema,
} from './admin-schemas.js';
import {
  customerDeleteQuerySchema,
  holdCreateSchema,
  holdIdParams,
  holdListSchema,
  holdReleasedSchema,
  holdSchema,
  offboardPlanSchema,
  offboardResultSchema,
} from './offboard-schemas.js';
import { standardErrors } from '../common-schemas.js';

const json = <T>(schema: T) => ({ 'application/json': { schema } });
const security = [{ ApiKey: [] }];
const adminErrors = (extra: Readonly<Record<number, string>> = {}) => standardErrors({ 403: 'Not an admin key', ...extra });
const bodyErrors = { 400: 'A field is invalid or unknown (the message names it)', 413: 'Body larger than http.bodyLimitBytes', 415: 'Body is not JSON' };

/** The admin routes of src/http/admin/customers-routes.ts and api-keys-routes.ts. */
export function registerAdminPaths(registry: OpenAPIRegistry, prefix: string): void {
  const customers = { tags: ['customers'], security };
  registry.registerPath({
    method: 'get',
    path: `${prefix}/customers`,
    ...customers,
    summary: 'List customers',
    responses: { 200: { description: 'Every customer', content: json(customerListSchema) }, ...adminErrors() },
  });
  registry.registerPath({
    method: 'post',
    path: `${prefix}/customers`,
    ...customers,
    summary: 'Add a customer',
    request: { body: { content: json(customerCreateSchema), required: true } },
    responses: {
      201: { description: 'Created', content: json(customerSchema) },
      ...adminErrors({ ...bodyErrors, 409: 'The slug is taken (CONFLICT), or an address or S3 prefix is another customer’s (ROUTE_TAKEN, naming the holder)' }),
    },
  });
  registry.registerPath({
    method: 'get',
    path: `${prefix}/customers/{slug}`,
    ...customers,
    summary: 'One customer',
    request: { params: customerSlugParams },
    responses: { 200: { description: 'The customer', content: json(customerSchema) }, ...adminErrors({ 404: 'No such customer' }) },
  });
  registry.registerPath({
    method: 'patch',
    path: `${prefix}/customers/{slug}`,
    ...customers,
    summary: 'Change a customer’s name, addresses, senders or S3 prefixes, or disable or enable it',
    request: { params: customerSlugParams, body: { content: json(customerUpdateSchema), required: true } },
    responses: {
      200: { description: 'The updated customer', content: json(customerSchema) },
      ...adminErrors({ ...bodyErrors, 404: 'No such customer', 409: 'An address or S3 prefix is another customer’s (ROUTE_TAKEN, naming the holder)' }),
    },
  });
  registry.registerPath({
    method: 'delete',
    path: `${prefix}/customers/{slug}`,
    ...customers,
    summary: 'Disable a customer (data kept); with purge=true, dry-run or remove it with all its data',
    description:
      'Without purge: the customer is disabled (mail 550 5.2.1, uploads and its keys 403), its data kept; PATCH `disabled: false` enables it again. ' +
      'purge=true&dryRun=true counts what a purge removes (rows per table, files per area) and returns a token; purge=true&confirm=<token> removes it: ' +
      'the customer must be disabled, none of its jobs staged or running, and the rows unchanged since the dry run.',
    request: { params: customerSlugParams, query: customerDeleteQuerySchema },
    responses: {
      200: { description: 'The dry run (dryRun: true) or what the purge removed (dryRun: false)', content: json(offboardPlanSchema.or(offboardResultSchema)) },
      204: { description: 'Disabled' },
      ...adminErrors({
        400: 'A parameter is invalid, or purge without dryRun or confirm (CONFIRMATION_REQUIRED), or a token that is not one (CONFIRMATION_INVALID)',
        404: 'No such customer',
        409: 'The customer is enabled (CUSTOMER_ENABLED), a job of it is staged or running (CUSTOMER_BUSY), or the data changed since the dry run or the token expired (CONFIRMATION_STALE)',
      }),
    },
  });

  const holds = { tags: ['holds'], security };
  registry.registerPath({
    method: 'get',
    path: `${prefix}/holds`,
    ...holds,
    summary: 'List holds',
    responses: { 200: { description: 'Every hold', content: json(holdListSchema) }, ...adminErrors() },
  });
  registry.registerPath({
    method: 'post',
    path: `${prefix}/holds`,
    ...holds,
    summary: 'Hold arrivals of a customer, module or group (accepted and staged, not processed)',
    request: { body: { content: json(holdCreateSchema), required: true } },
    responses: { 201: { description: 'Placed; queued jobs it matches are held now', content: json(holdSchema) }, ...adminErrors(bodyErrors) },
  });
  registry.registerPath({
    method: 'get',
    path: `${prefix}/holds/{id}`,
    ...holds,
    summary: 'One hold',
    request: { params: holdIdParams },
    responses: { 200: { description: 'The hold', content: json(holdSchema) }, ...adminErrors({ 404: 'No such hold' }) },
  });
  registry.registerPath({
    method: 'delete',
    path: `${prefix}/holds/{id}`,
    ...holds,
    summary: 'Release a hold: its held jobs are queued again, in arrival order',
    request: { params: holdIdParams },
    responses: { 200: { description: 'Released', content: json(holdReleasedSchema) }, ...adminErrors({ 404: 'No such hold' }) },
  });

  const keys = { tags: ['api-keys'], security };
  registry.registerPath({
    method: 'get',
    path: `${prefix}/api-keys`,
    ...keys,
    summary: 'List API keys (never the keys themselves)',
    request: { query: apiKeyListQuerySchema },
    responses: { 200: { description: 'The keys', content: json(apiKeyListSchema) }, ...adminErrors({ 400: 'A parameter is invalid' }) },
  });
  registry.registerPath({
    method: 'post',
    path: `${prefix}/api-keys`,
    ...keys,
    summary: 'Create a key (shown once, in this answer)',
    request: { body: { content: json(apiKeyCreateSchema), required: true } },
    responses: { 201: { description: 'Created; store `key` now', content: json(apiKeyCreatedSchema) }, ...adminErrors(bodyErrors) },
  });
  registry.registerPath({
    method: 'get',
    path: `${prefix}/api-keys/{id}`,
    ...keys,
    summary: 'One key',
    request: { params: apiKeyIdParams },
    responses: { 200: { description: 'The key', content: json(apiKeySchema) }, ...adminErrors({ 404: 'No such key' }) },
  });
  registry.registerPath({
    method: 'delete',
    path: `${prefix}/api-keys/{id}`,
    ...keys,
    summary: 'Revoke a key (effective on the next request)',
    request: { params: apiKeyIdParams },
    responses: { 204: { description: 'Revoked' }, ...adminErrors({ 404: 'No such key', 409: 'Already revoked, or the last active admin key' }) },
  });
}
