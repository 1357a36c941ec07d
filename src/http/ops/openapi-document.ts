import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import { registerAdminPaths } from '../admin/admin-paths.js';
import { registerAlertPaths } from '../alerts/alerts-paths.js';
import { registerPurgePaths } from '../admin/purge-paths.js';
import { registerJobPaths } from '../jobs/jobs-paths.js';
import { registerOpsPaths } from './ops-paths.js';
import { registerS3Paths } from '../uploads/s3-paths.js';
import { registerSourcePaths } from '../sources/sources-paths.js';
import { registerRefusedPaths } from '../refused/refused-paths.js';
import { registerUploadPaths } from '../uploads/uploads-paths.js';

export type OpenApiDocument = ReturnType<OpenApiGeneratorV31['generateDocument']>;

/**
 * The OpenAPI 3.1 document of every route, built from the same zod schemas the routes validate
 * with. A route module added to create-app.ts must register its paths here too: a test compares
 * the router's routes with this document.
 */
export function buildOpenApiDocument(args: { readonly prefix: string; readonly version: string }): OpenApiDocument {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'ApiKey', {
    type: 'apiKey',
    in: 'header',
    name: 'X-Api-Key',
    description: 'An admin key (everything) or a customer key (that customer’s jobs only). Only its SHA-256 is stored.',
  });
  registerJobPaths(registry, args.prefix);
  registerAdminPaths(registry, args.prefix);
  registerPurgePaths(registry, args.prefix);
  registerSourcePaths(registry, args.prefix);
  registerRefusedPaths(registry, args.prefix);
  registerAlertPaths(registry, args.prefix);
  registerOpsPaths(registry, args.prefix);
  registerS3Paths(registry, args.prefix);
  registerUploadPaths(registry, args.prefix);
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'DataProcessor API',
      version: args.version,
      description: 'Operator API of the HView ingest service: jobs, replays, customers and API keys. ' + 'Every error is `{ "error": { "code", "message" } }`.',
    },
    servers: [{ url: '/' }],
    security: [{ ApiKey: [] }],
    tags: [
      { name: 'jobs', description: 'Ingest jobs: list, inspect, download originals, retry, cancel, replay' },
      { name: 'customers', description: 'Customers (admin)' },
      { name: 'api-keys', description: 'API keys (admin)' },
      { name: 'holds', description: 'Holds (admin): keep matching arrivals held, release them in arrival order' },
      { name: 'sources', description: 'Source health: the last arrival per customer, group and module, and silent sources' },
      { name: 'refused', description: 'Arrivals refused before they became jobs (SMTP refusals, unroutable S3 events)' },
      { name: 'alerts', description: 'Alerting (admin): webhook and mail subscriptions, deliveries and their attempts, conditions' },
      { name: 'retention', description: 'The retention purge: runs, dry runs, what was removed (admin)' },
      { name: 's3', description: 'S3 uploads: the event webhook and the seed trigger' },
      { name: 'uploads', description: 'Uploads: streamed straight into the pipeline, or presigned S3 PUT URLs' },
      { name: 'operations', description: 'Health, readiness, metrics, this document' },
    ],
  });
}
