import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { standardErrors } from '../common-schemas.js';
import {
  presignRequestSchema,
  presignResultSchema,
  uploadHeadersSchema,
  uploadIdParams,
  uploadPathParams,
  uploadProgressListSchema,
  uploadProgressSchema,
  uploadQuerySchema,
  uploadResultSchema,
} from './uploads-schemas.js';
import { z } from '../zod-openapi.js';

const json = <T>(schema: T) => ({ 'application/json': { schema } });
const security = [{ ApiKey: [] }];
const tags = ['uploads'];
const binary = z.string().openapi({ format: 'binary' });

/** The routes of src/http/uploads/uploads-routes.ts. */
export function registerUploadPaths(registry: OpenAPIRegistry, prefix: string): void {
  registry.registerPath({
    method: 'post',
    path: `${prefix}/uploads/{category}/{type}`,
    tags,
    security,
    summary: 'Upload a .tar.gz or .zip straight into the pipeline (streamed, never buffered)',
    description:
      'The body is the file: raw (`curl --data-binary @dump.tar.gz -H "Content-Type: application/octet-stream"`) or the part named `file` ' +
      'of a multipart/form-data body (`curl -F file=@dump.zip`). The type is read from the first bytes, not the name. 202 once the file is fsynced in inbox/ ' +
      'and its job committed; a failed or interrupted upload leaves no job and no file. Follow a long upload at GET /uploads/{uploadId}.',
    request: {
      params: uploadPathParams,
      query: uploadQuerySchema,
      headers: uploadHeadersSchema,
      body: { required: true, content: { 'application/octet-stream': { schema: binary }, 'multipart/form-data': { schema: z.object({ file: binary }) } } },
    },
    responses: {
      202: { description: 'Stored durably; the job (or, for a repeat, the existing one)', content: json(uploadResultSchema) },
      ...standardErrors({
        400: 'A parameter is invalid, no such customer or module, an empty body, a malformed multipart body, or the client went away mid-upload',
        403: 'A customer key uploading for another customer',
        409: 'Idempotency-Key reused with another file, the same upload still being stored, or an Upload-Id in use',
        413: 'Larger than uploads.maxBytes: refused as soon as Content-Length or the streamed bytes say so',
        415: 'Not a .tar.gz or .zip (by its first bytes), or a Content-Encoding',
      }),
    },
  });
  registry.registerPath({
    method: 'post',
    path: `${prefix}/uploads/presign`,
    tags,
    security,
    summary: 'A short-lived presigned S3 PUT URL for <bucket>/<customer>/<group>/<file>',
    description:
      'For big files: the client PUTs straight to the object store, and the bucket’s notification starts the job (SQS, webhook or reconciler). ' +
      'The bucket is the module’s in s3.routes. Turned on by uploads.presign.enabled.',
    request: { body: { required: true, content: json(presignRequestSchema) } },
    responses: {
      200: { description: 'The URL and what the PUT must send', content: json(presignResultSchema) },
      ...standardErrors({
        400: 'A field is invalid, no such customer or module, or no bucket for the module',
        403: 'A customer key presigning for another customer',
        404: 'Presigned uploads are turned off',
        413: 'size is larger than s3.maxObjectBytes',
        503: 'The service has no S3 credentials',
      }),
    },
  });
  registry.registerPath({
    method: 'get',
    path: `${prefix}/uploads`,
    tags,
    security,
    summary: 'Direct uploads in flight on this instance (and those finished in the last 10 minutes)',
    responses: { 200: { description: 'Newest first; customer keys see their own', content: json(uploadProgressListSchema) }, ...standardErrors() },
  });
  registry.registerPath({
    method: 'get',
    path: `${prefix}/uploads/{uploadId}`,
    tags,
    security,
    summary: 'Bytes received so far by a direct upload, and how it ended',
    description: 'Kept in the memory of the instance taking the upload: a job exists only once the bytes are durable (then `jobId` is set).',
    request: { params: uploadIdParams },
    responses: {
      200: { description: 'The upload', content: json(uploadProgressSchema) },
      ...standardErrors({ 404: 'No such upload on this instance, or another customer’s' }),
    },
  });
}
