import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { errorSchema } from '../common-schemas.js';
import { healthSchema, readinessSchema } from './ops-schemas.js';
import { z } from '../zod-openapi.js';

const tags = ['operations'];

/** The unauthenticated routes of src/http/ops/ops-routes.ts and docs-routes.ts. */
export function registerOpsPaths(registry: OpenAPIRegistry, prefix: string): void {
  registry.registerPath({
    method: 'get',
    path: '/healthz',
    tags,
    security: [],
    summary: 'Liveness: the process answers',
    responses: { 200: { description: 'Alive', content: { 'application/json': { schema: healthSchema } } } },
  });
  registry.registerPath({
    method: 'get',
    path: '/readyz',
    tags,
    security: [],
    summary: 'Readiness: database reachable, data root writable with free space, listeners up',
    responses: {
      200: { description: 'Ready', content: { 'application/json': { schema: readinessSchema } } },
      503: {
        description: 'Not ready; `error.message` lists the reasons',
        content: { 'application/json': { schema: readinessSchema.extend({ error: errorSchema.shape.error }) } },
      },
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/metrics',
    tags,
    security: [],
    summary: 'Prometheus metrics (text exposition format)',
    responses: {
      200: {
        description: 'Jobs by status and type, job durations, SMTP, SQS, bytes ingested, HTTP, event-loop lag',
        content: { 'text/plain': { schema: z.string() } },
      },
    },
  });
  registry.registerPath({
    method: 'get',
    path: `${prefix}/openapi.json`,
    tags,
    security: [],
    summary: 'This document',
    responses: { 200: { description: 'OpenAPI 3.1', content: { 'application/json': { schema: z.record(z.string(), z.unknown()) } } } },
  });
}
