import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { standardErrors } from '../common-schemas.js';
import { purgeReportSchema, purgeRunListSchema, purgeRunQuerySchema, purgeStartedSchema } from './purge-schemas.js';

const json = <T>(schema: T) => ({ 'application/json': { schema } });

/** The routes of src/http/admin/purge-routes.ts. */
export function registerPurgePaths(registry: OpenAPIRegistry, prefix: string): void {
  const purge = { tags: ['retention'], security: [{ ApiKey: [] }] };
  registry.registerPath({
    method: 'get',
    path: `${prefix}/admin/purge`,
    ...purge,
    summary: 'The latest purge runs (retention): what each removed, per customer and kind, with bytes',
    responses: { 200: { description: 'Newest first', content: json(purgeRunListSchema) }, ...standardErrors({ 403: 'Not an admin key' }) },
  });
  registry.registerPath({
    method: 'post',
    path: `${prefix}/admin/purge`,
    ...purge,
    summary: 'Run the retention purge now, or (dryRun=true) show what it would remove',
    request: { query: purgeRunQuerySchema },
    responses: {
      200: { description: 'Dry run: what would go, per customer and kind, with bytes', content: json(purgeReportSchema) },
      202: { description: 'The purge started; follow it with GET', content: json(purgeStartedSchema) },
      ...standardErrors({ 400: 'A parameter is invalid', 403: 'Not an admin key', 409: 'Another instance is purging now (CONFLICT)' }),
    },
  });
}
