import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import {
  apiKeyCreatedSchema, apiKeyCreateSchema, apiKeyIdParams, apiKeyListQuerySchema, apiKeyListSchema, apiKeySchema,
  customerCreateSchema, customerListSchema, customerSchema, customerSlugParams, customerUpdateSchema,
} from './admin-schemas.js';
import { standardErrors } from '../common-schemas.js';

const json = <T>(schema: T) => ({ 'application/json': { schema } });
const security = [{ ApiKey: [] }];
const adminErrors = (extra: Readonly<Record<number, string>> = {}) => standardErrors({ 403: 'Not an admin key', ...extra });
const bodyErrors = { 400: 'A field is invalid or unknown (the message names it)', 413: 'Body larger than http.bodyLimitBytes', 415: 'Body is not JSON' };

/** The admin routes of src/http/admin/customers-routes.ts and api-keys-routes.ts. */
export function registerAdminPaths(registry: OpenAPIRegistry, prefix: string): void {
  const customers = { tags: ['customers'], security };
  registry.registerPath({ method: 'get', path: `${prefix}/customers`, ...customers, summary: 'List customers', responses: { 200: { description: 'Every customer', content: json(customerListSchema) }, ...adminErrors() } });
  registry.registerPath({
    method: 'post', path: `${prefix}/customers`, ...customers, summary: 'Add a customer',
    request: { body: { content: json(customerCreateSchema), required: true } },
    responses: { 201: { description: 'Created', content: json(customerSchema) }, ...adminErrors({ ...bodyErrors, 409: 'The slug is taken (CONFLICT), or an address or S3 prefix is another customer’s (ROUTE_TAKEN, naming the holder)' }) },
  });
  registry.registerPath({
    method: 'get', path: `${prefix}/customers/{slug}`, ...customers, summary: 'One customer', request: { params: customerSlugParams },
    responses: { 200: { description: 'The customer', content: json(customerSchema) }, ...adminErrors({ 404: 'No such customer' }) },
  });
  registry.registerPath({
    method: 'patch', path: `${prefix}/customers/{slug}`, ...customers, summary: 'Change a customer’s name, addresses, senders or S3 prefixes',
    request: { params: customerSlugParams, body: { content: json(customerUpdateSchema), required: true } },
    responses: { 200: { description: 'The updated customer', content: json(customerSchema) }, ...adminErrors({ ...bodyErrors, 404: 'No such customer', 409: 'An address or S3 prefix is another customer’s (ROUTE_TAKEN, naming the holder)' }) },
  });
  registry.registerPath({
    method: 'delete', path: `${prefix}/customers/{slug}`, ...customers, summary: 'Remove a customer and its API keys (its jobs stay)', request: { params: customerSlugParams },
    responses: { 204: { description: 'Removed' }, ...adminErrors({ 404: 'No such customer' }) },
  });

  const keys = { tags: ['api-keys'], security };
  registry.registerPath({
    method: 'get', path: `${prefix}/api-keys`, ...keys, summary: 'List API keys (never the keys themselves)', request: { query: apiKeyListQuerySchema },
    responses: { 200: { description: 'The keys', content: json(apiKeyListSchema) }, ...adminErrors({ 400: 'A parameter is invalid' }) },
  });
  registry.registerPath({
    method: 'post', path: `${prefix}/api-keys`, ...keys, summary: 'Create a key (shown once, in this answer)',
    request: { body: { content: json(apiKeyCreateSchema), required: true } },
    responses: { 201: { description: 'Created; store `key` now', content: json(apiKeyCreatedSchema) }, ...adminErrors(bodyErrors) },
  });
  registry.registerPath({
    method: 'get', path: `${prefix}/api-keys/{id}`, ...keys, summary: 'One key', request: { params: apiKeyIdParams },
    responses: { 200: { description: 'The key', content: json(apiKeySchema) }, ...adminErrors({ 404: 'No such key' }) },
  });
  registry.registerPath({
    method: 'delete', path: `${prefix}/api-keys/{id}`, ...keys, summary: 'Revoke a key (effective on the next request)', request: { params: apiKeyIdParams },
    responses: { 204: { description: 'Revoked' }, ...adminErrors({ 404: 'No such key', 409: 'Already revoked, or the last active admin key' }) },
  });
}
