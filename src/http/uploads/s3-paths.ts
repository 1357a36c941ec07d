import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { veritasTriggerBodySchema } from './veritas-trigger-routes.js';
import { errorSchema, standardErrors } from '../common-schemas.js';
import { jobSummarySchema } from '../jobs/jobs-schemas.js';
import { z } from '../zod-openapi.js';

const json = <T>(schema: T) => ({ 'application/json': { schema } });

const notificationResultSchema = z
  .object({
    kind: z.enum(['records', 'test', 'subscription-confirmation']),
    records: z.array(
      z.object({
        bucket: z.string(),
        key: z.string(),
        outcome: z.string().openapi({ example: 'created' }),
        jobId: z.string().optional(),
        reason: z.string().optional(),
      }),
    ),
  })
  .openapi('S3NotificationResult');

/** The S3 routes of src/http/uploads/s3-events-routes.ts (webhook token) and veritas-trigger-routes.ts (X-Api-Key). */
export function registerS3Paths(registry: OpenAPIRegistry, prefix: string): void {
  registry.registerComponent('securitySchemes', 'WebhookToken', {
    type: 'http',
    scheme: 'bearer',
    description: 's3.webhook.token, as `Authorization: Bearer <token>` or as the password of HTTP Basic (SNS)',
  });
  registry.registerPath({
    method: 'post',
    path: `${prefix}/s3/events`,
    tags: ['s3'],
    security: [{ WebhookToken: [] }],
    summary: 'S3 event notifications pushed over HTTP (MinIO, Ceph, SNS)',
    description: 'Registered only when s3.webhook.token is set. 200 once every announced object’s job is committed; 503 asks the sender to retry.',
    request: { body: { content: { 'application/json': { schema: z.string() }, 'text/plain': { schema: z.string() } }, required: true } },
    responses: {
      200: { description: 'Every record settled', content: json(notificationResultSchema) },
      400: { description: 'A body that can never work', content: json(errorSchema) },
      401: { description: 'Missing or wrong webhook token', content: json(errorSchema) },
      413: { description: 'Body larger than http.bodyLimitBytes', content: json(errorSchema) },
      503: { description: 'Not every record could be settled now; retry', content: json(errorSchema) },
    },
  });
  registry.registerPath({
    method: 'post',
    path: `${prefix}/veritas2hview/update`,
    tags: ['s3'],
    security: [{ ApiKey: [] }],
    summary: 'Start the veritas2hview job for an uploaded export (seed-compatible trigger)',
    request: {
      headers: z.object({ 'Idempotency-Key': z.string().optional().openapi({ description: 'Same key and body → the same job; another body → 409' }) }),
      body: { content: json(veritasTriggerBodySchema), required: true },
    },
    responses: {
      202: { description: 'The object is in inbox/ and its job committed', content: json(z.object({ job: jobSummarySchema, duplicate: z.boolean() })) },
      ...standardErrors({
        400: 'A field is invalid, or no such object',
        403: 'Another customer’s upload',
        409: 'Idempotency-Key reused with another body, or the object changed while read',
      }),
    },
  });
}
