import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { standardErrors } from '../common-schemas.js';
import { sourceListSchema, sourcesQuerySchema } from './sources-schemas.js';

/** The routes of src/http/sources/sources-routes.ts. */
export function registerSourcePaths(registry: OpenAPIRegistry, prefix: string): void {
  registry.registerPath({
    method: 'get',
    path: `${prefix}/sources`,
    tags: ['sources'],
    security: [{ ApiKey: [] }],
    summary: 'Every source (customer, group, module) with its last arrival, and whether it is silent',
    request: { query: sourcesQuerySchema },
    responses: {
      200: { description: 'By customer, group and module', content: { 'application/json': { schema: sourceListSchema } } },
      ...standardErrors({ 400: 'A parameter is invalid' }),
    },
  });
}
