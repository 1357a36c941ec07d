import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { standardErrors } from '../common-schemas.js';
import { refusedListSchema, refusedQuerySchema } from './refused-schemas.js';

/** The routes of src/http/refused/refused-routes.ts. */
export function registerRefusedPaths(registry: OpenAPIRegistry, prefix: string): void {
  registry.registerPath({
    method: 'get',
    path: `${prefix}/refused`,
    tags: ['refused'],
    security: [{ ApiKey: [] }],
    summary: 'Arrivals refused before they became jobs: SMTP refusals and S3 events that could not be routed, newest first',
    request: { query: refusedQuerySchema },
    responses: {
      200: { description: 'Newest first', content: { 'application/json': { schema: refusedListSchema } } },
      ...standardErrors({ 400: 'A parameter is invalid' }),
    },
  });
}
