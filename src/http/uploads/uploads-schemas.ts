import { isoDateTime, slugSchema } from '../common-schemas.js';
import { jobSummarySchema } from '../jobs/jobs-schemas.js';
import { z } from '../zod-openapi.js';

/** Group names become a folder name and a key segment: printable, bounded. */
export const MAX_UPLOAD_GROUP_CHARS = 200;
export const MAX_UPLOAD_FILE_NAME_CHARS = 255;
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/;

const moduleSegment = z.string().regex(/^[a-z0-9_]+$/, 'must be lower-case letters, digits and _');
const printable = (max: number) =>
  z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .max(max)
    .refine((value) => !CONTROL_CHARACTERS.test(value), 'must not contain control characters');
export const uploadGroupSchema = printable(MAX_UPLOAD_GROUP_CHARS)
  .refine((value) => !value.includes('/'), 'must not contain "/"')
  .openapi({ description: 'The group (for HYDRAstor types: the grid)', example: 'icecream_machine' });
export const uploadFileNameSchema = printable(MAX_UPLOAD_FILE_NAME_CHARS)
  .refine((value) => !value.includes('/'), 'must not contain "/"')
  .openapi({ description: "The client's file name, kept as data (the content decides the type)", example: 'Veritas2Hview nbumaster01 2023-01-13.tar.gz' });

export const uploadPathParams = z.object({
  category: moduleSegment.openapi({ example: 'hydrastor' }),
  type: moduleSegment.openapi({ example: 'veritas2hview' }),
});

export const uploadQuerySchema = z.strictObject({
  customer: slugSchema
    .optional()
    .openapi({ description: 'Required with an admin key; a customer key may name only its own customer (or leave it out). Or header `X-Customer`.' }),
  group: uploadGroupSchema.optional().openapi({ description: 'The group (grid); when absent the module decides. Or header `X-Group`.' }),
  filename: uploadFileNameSchema
    .optional()
    .openapi({ description: 'The original file name, kept as data. Or header `X-File-Name`; a multipart part’s own filename otherwise.' }),
});

export const uploadHeadersSchema = z.object({
  'Idempotency-Key': z
    .string()
    .optional()
    .openapi({ description: 'Same key (per API key), same request and file → the same job; the same key with another file → 409' }),
  'Upload-Id': z
    .string()
    .optional()
    .openapi({ description: 'Your id for this upload (8–64 of A–Z a–z 0–9 _ -), to follow it at GET /uploads/{uploadId} while it streams; a UUID otherwise' }),
  'X-Customer': z.string().optional(),
  'X-Group': z.string().optional(),
  'X-File-Name': z.string().optional(),
});

export const uploadIdPattern = /^[A-Za-z0-9_-]{8,64}$/;
export const uploadIdParams = z.object({ uploadId: z.string().openapi({ example: '0f8e1c2a-5b6d-4e7f-8a9b-0c1d2e3f4a5b' }) });

export const uploadResultSchema = z
  .object({
    uploadId: z.string(),
    job: jobSummarySchema,
    duplicate: z.boolean().openapi({ description: 'True when an earlier upload (same Idempotency-Key, or same customer, module and content) made this job' }),
  })
  .openapi('UploadResult');

export const uploadProgressSchema = z
  .object({
    uploadId: z.string(),
    customer: z.string().openapi({ example: 'bobs_burgers' }),
    category: z.string().openapi({ example: 'hydrastor' }),
    type: z.string().openapi({ example: 'veritas2hview' }),
    group: z.string().nullable(),
    fileName: z.string().nullable(),
    state: z.enum(['receiving', 'storing', 'stored', 'failed']).openapi({ description: '`stored`: the job exists (jobId); `failed`: nothing was kept' }),
    bytesReceived: z.number().int().openapi({ example: 536870912 }),
    expectedBytes: z.number().int().nullable().openapi({ description: 'The request’s Content-Length, when sent', example: 1073741824 }),
    startedAt: isoDateTime,
    updatedAt: isoDateTime,
    jobId: z.string().nullable(),
    duplicate: z.boolean(),
    error: z.object({ code: z.string(), message: z.string() }).nullable(),
  })
  .openapi('UploadProgress');

export const uploadProgressListSchema = z.object({ uploads: z.array(uploadProgressSchema) }).openapi('UploadProgressList');

export const presignRequestSchema = z
  .strictObject({
    category: moduleSegment.openapi({ example: 'hydrastor' }),
    type: moduleSegment.openapi({ example: 'veritas2hview' }),
    customer: slugSchema.optional().openapi({ description: 'Required with an admin key; a customer key may name only its own customer' }),
    group: uploadGroupSchema,
    fileName: uploadFileNameSchema,
    size: z
      .number()
      .int()
      .positive()
      .openapi({ description: 'The file’s size in bytes; signed, so the PUT must send exactly this Content-Length', example: 1073741824 }),
  })
  .openapi('PresignRequest');

export const presignResultSchema = z
  .object({
    method: z.literal('PUT'),
    url: z.string().openapi({
      description: 'Presigned (SigV4) URL: PUT the file’s bytes to it, no other credentials',
      example: 'https://s3.example.com/veritas2hview/bobs_burgers/icecream_machine/dump.tar.gz?X-Amz-Algorithm=AWS4-HMAC-SHA256&…',
    }),
    headers: z
      .record(z.string(), z.string())
      .openapi({ description: 'Headers the PUT must carry (Content-Length: sent by every client by itself)', example: { 'Content-Length': '1073741824' } }),
    bucket: z.string().openapi({ example: 'veritas2hview' }),
    key: z.string().openapi({ example: 'bobs_burgers/icecream_machine/dump.tar.gz' }),
    expiresAt: isoDateTime,
  })
  .openapi('PresignResult');
