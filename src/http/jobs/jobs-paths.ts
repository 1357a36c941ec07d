import { assignRequestSchema, dismissRequestSchema } from './unclassified-schemas.js';
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { standardErrors } from '../common-schemas.js';
import {
  jobActionSchema,
  jobCountsSchema,
  jobDetailSchema,
  jobFileParams,
  jobFilesSchema,
  jobIdParams,
  jobListQuerySchema,
  jobListSchema,
  jobSummaryQuerySchema,
  replayRequestSchema,
  replayResultSchema,
} from './jobs-schemas.js';
import { z } from '../zod-openapi.js';

const json = <T>(schema: T) => ({ 'application/json': { schema } });
const security = [{ ApiKey: [] }];
const tags = ['jobs'];

/** The jobs routes of src/http/jobs/jobs-routes.ts, job-files-routes.ts and job-actions-routes.ts. */
export function registerJobPaths(registry: OpenAPIRegistry, prefix: string): void {
  registry.registerPath({
    method: 'get',
    path: `${prefix}/jobs`,
    tags,
    security,
    summary: 'List jobs, newest first',
    description: 'Keyset-paginated (`next` → `cursor`). Customer keys see only their customer’s jobs; asking for another customer gives an empty list.',
    request: { query: jobListQuerySchema },
    responses: {
      200: { description: 'One page of jobs', content: json(jobListSchema) },
      ...standardErrors({ 400: 'A parameter is invalid (the message names it)' }),
    },
  });
  registry.registerPath({
    method: 'get',
    path: `${prefix}/jobs/summary`,
    tags,
    security,
    summary: 'Counts by status, type and customer over a time window',
    request: { query: jobSummaryQuerySchema },
    responses: { 200: { description: 'The counts', content: json(jobCountsSchema) }, ...standardErrors({ 400: 'A parameter is invalid' }) },
  });
  registry.registerPath({
    method: 'get',
    path: `${prefix}/jobs/{id}`,
    tags,
    security,
    summary: 'One job with its timeline, stats, progress, paths, files and error',
    request: { params: jobIdParams },
    responses: { 200: { description: 'The job', content: json(jobDetailSchema) }, ...standardErrors({ 404: 'No such job, or not this key’s customer' }) },
  });
  registry.registerPath({
    method: 'get',
    path: `${prefix}/jobs/{id}/files`,
    tags,
    security,
    summary: 'The staged originals of a job',
    request: { params: jobIdParams },
    responses: { 200: { description: 'The files', content: json(jobFilesSchema) }, ...standardErrors({ 404: 'No such job, or not this key’s customer' }) },
  });
  registry.registerPath({
    method: 'get',
    path: `${prefix}/jobs/{id}/files/{name}`,
    tags,
    security,
    summary: 'Download one staged original',
    description: 'Always `application/octet-stream` with `Content-Disposition: attachment`; `X-Content-SHA256` carries the recorded digest.',
    request: { params: jobFileParams },
    responses: {
      200: { description: 'The file’s bytes, as received', content: { 'application/octet-stream': { schema: z.string().openapi({ format: 'binary' }) } } },
      ...standardErrors({ 404: 'No such job or file, or the file is not on this node' }),
    },
  });
  registry.registerPath({
    method: 'post',
    path: `${prefix}/jobs/{id}/retry`,
    tags,
    security,
    summary: 'Send a failed, timed-out or cancelled job back to the queue',
    request: { params: jobIdParams },
    responses: {
      200: { description: 'Queued again, attempts reset', content: json(jobActionSchema) },
      ...standardErrors({ 404: 'No such job', 409: 'The job’s state does not allow a retry' }),
    },
  });
  registry.registerPath({
    method: 'post',
    path: `${prefix}/jobs/{id}/cancel`,
    tags,
    security,
    summary: 'Cancel a job',
    description: 'A queued, held or unclassified job is cancelled at once (200); a running job is asked to stop at its next checkpoint (202).',
    request: { params: jobIdParams },
    responses: {
      200: { description: 'Cancelled', content: json(jobActionSchema) },
      202: { description: 'Running: cancellation requested', content: json(jobActionSchema) },
      ...standardErrors({ 404: 'No such job', 409: 'The job has already finished' }),
    },
  });
  registry.registerPath({
    method: 'post',
    path: `${prefix}/jobs/{id}/assign`,
    tags,
    security,
    summary: 'Tell an unclassified arrival which module and group it is: it then runs like any other job',
    request: { params: jobIdParams, body: { content: json(assignRequestSchema) } },
    responses: {
      200: { description: 'Queued (or held, when a hold matches)', content: json(jobActionSchema) },
      ...standardErrors({ 400: 'Unknown module or invalid group', 404: 'No such job', 409: 'The job is not unclassified' }),
    },
  });
  registry.registerPath({
    method: 'post',
    path: `${prefix}/jobs/{id}/dismiss`,
    tags,
    security,
    summary: 'Dismiss an unclassified arrival with a reason (it ends cancelled, error code DISMISSED)',
    request: { params: jobIdParams, body: { content: json(dismissRequestSchema) } },
    responses: {
      200: { description: 'Dismissed', content: json(jobActionSchema) },
      ...standardErrors({ 400: 'No reason given', 404: 'No such job', 409: 'The job is not unclassified' }),
    },
  });
  registry.registerPath({
    method: 'post',
    path: `${prefix}/jobs/replay`,
    tags,
    security,
    summary: 'Reprocess the originals of every job matching a filter (admin)',
    description:
      'Creates new jobs (source `replay`) from the originals of the matching jobs, oldest first; the originals are only read. ' +
      'At most 1,000 jobs per request. `Idempotency-Key` names the batch: repeating a request with the same key returns the jobs it already made.',
    request: {
      headers: z.object({
        'Idempotency-Key': z.string().optional().openapi({ description: 'Names the batch (1–100 of A-Z a-z 0-9 _ . -)', example: 'parser-fix-2023-01-14' }),
      }),
      body: { content: json(replayRequestSchema), required: true },
    },
    responses: {
      200: { description: 'The count (dry run) or the jobs created', content: json(replayResultSchema) },
      ...standardErrors({
        400: 'The filter is invalid, empty or matches too many jobs',
        403: 'Not an admin key',
        413: 'Body larger than http.bodyLimitBytes',
        415: 'Body is not JSON',
      }),
    },
  });
}
