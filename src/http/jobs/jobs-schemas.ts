import { isoDateTime, jobSourceSchema, jobStatusSchema, slugSchema } from '../common-schemas.js';
import { z } from '../zod-openapi.js';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 100;
export const MIN_SEARCH_CHARS = 3;
export const MAX_SEARCH_CHARS = 200;

const param = (description: string, example?: string) =>
  z
    .string()
    .optional()
    .openapi({ description, ...(example === undefined ? {} : { example }) });

/** The filter parameters shared by the list, the summary and (as a JSON object) replay. */
const filterParams = {
  customer: param('Customer slug (admin keys; a customer key always sees only its own)', 'bobs_burgers'),
  status: param(`Comma-separated or repeated: ${jobStatusSchema.options.join(', ')}`, 'failed,timed_out'),
  source: param(`One of ${jobSourceSchema.options.join(', ')}`, 'smtp'),
  category: param('Module category', 'hydrastor'),
  type: param('Module type, or `category/type`', 'hydrastor/system_report'),
  group: param('The group segment (grid)', 'icecream_machine'),
  received_since: param('Received at or after (ISO 8601)', '2023-01-01T00:00:00Z'),
  received_until: param('Received before (ISO 8601)', '2023-02-01T00:00:00Z'),
  q: param(
    `Free text (${MIN_SEARCH_CHARS}–${MAX_SEARCH_CHARS} characters, case-insensitive substring) over subject, sender, Message-ID, S3 key and file name`,
    'System Report',
  ),
};

export const jobListQuerySchema = z.strictObject({
  ...filterParams,
  limit: param(`Page size 1–${MAX_PAGE_SIZE} (default ${DEFAULT_PAGE_SIZE}); larger values are clamped`, '50'),
  // No example: Swagger UI's "Try it out" fills examples in, and no made-up cursor is valid.
  cursor: param('The `next` of the previous page (leave empty for the first page)'),
});

export const jobSummaryQuerySchema = z.strictObject({
  customer: filterParams.customer,
  received_since: param('Window start (ISO 8601); default 24 hours before the end', '2023-01-01T00:00:00Z'),
  received_until: param('Window end (ISO 8601); default now', '2023-01-02T00:00:00Z'),
});

export const jobIdParams = z.object({ id: z.string().openapi({ format: 'uuid', example: '7d9f3c1e-2a4b-4c6d-8e0f-1a2b3c4d5e6f' }) });
export const jobFileParams = jobIdParams.extend({ name: z.string().openapi({ example: 'message.eml' }) });

const errorSummary = z.object({ code: z.string(), message: z.string() }).nullable().openapi({ example: null });

export const jobSummarySchema = z
  .object({
    id: z.string().openapi({ format: 'uuid' }),
    status: jobStatusSchema,
    source: jobSourceSchema,
    customer: z.string().openapi({ example: 'bobs_burgers' }),
    category: z.string().openapi({ example: 'hydrastor' }),
    type: z.string().openapi({ example: 'system_report' }),
    group: z.string().openapi({ example: 'icecream_machine' }),
    receivedAt: isoDateTime,
    startedAt: isoDateTime.nullable(),
    finishedAt: isoDateTime.nullable(),
    error: errorSummary,
    stats: z.record(z.string(), z.number()).openapi({ description: 'Rows upserted per table', example: { hydrastor_nodes: 5 } }),
  })
  .openapi('JobSummary');

export const stagedFileSchema = z
  .object({
    name: z.string().openapi({ description: 'Generated name inside the job folder', example: 'message.eml' }),
    size: z.number().int().openapi({ example: 48213 }),
    sha256: z.string().openapi({ example: '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08' }),
    originalName: z.string().optional().openapi({ description: "The client's name, as data only", example: 'report.csv' }),
    contentType: z.string().optional().openapi({ example: 'message/rfc822' }),
    role: z.string().optional().openapi({ example: 'message' }),
  })
  .openapi('StagedFile');

export const jobEventSchema = z
  .object({
    at: isoDateTime,
    kind: z.string().openapi({ example: 'finished' }),
    status: jobStatusSchema.nullable(),
    message: z.string().openapi({ example: 'succeeded: hydrastor_nodes=5' }),
    data: z.record(z.string(), z.unknown()),
  })
  .openapi('JobEvent');

export const parseIssueSchema = z
  .object({
    file: z.string().openapi({ example: 'bpdbjobs_most_columns.csv' }),
    line: z.number().int().nullable().openapi({ description: '1-based; null when the issue concerns the whole file', example: 1742 }),
    what: z.string().openapi({ example: 'job 4711: percent is not an integer; stored as null, kept raw in extra' }),
    raw: z.string().nullable().openapi({ description: 'The offending text as found (cut to 200 characters), or null', example: '58.799999' }),
  })
  .openapi('ParseIssue');

export const jobDetailSchema = jobSummarySchema
  .extend({
    attempts: z.number().int(),
    maxAttempts: z.number().int(),
    timeoutSeconds: z.number().int(),
    progress: z
      .record(z.string(), z.union([z.number(), z.string()]))
      .nullable()
      .openapi({ description: 'Reported by the module while the job runs; null otherwise', example: { rowsRead: 120000 } }),
    cancelRequestedAt: isoDateTime.nullable(),
    sourceRef: z.record(z.string(), z.unknown()).openapi({ example: { mailFrom: 'grid@bobs.example', rcptTo: ['bobs_burgers@ingest.hview.example'] } }),
    hints: z.record(z.string(), z.string()).openapi({
      description:
        "What classification saw: a mail's subject, from, to, messageId, date; for a mail forwarded as an attachment, those of the forwarded message, with `forwarded` (levels read) and the outer mail's as `outerSubject`, `outerFrom`, …",
      example: { subject: '[HYDRAstor] System Report: icecream_machine (S/N 8A5-000123) 2023-01-13', forwarded: '1', outerSubject: 'FW: daily report' },
    }),
    paths: z
      .object({
        inbox: z.string(),
        tmp: z.string(),
        archive: z.string().describe('archive/<path>, or s3://<bucket>/<key prefix> once the copy is in the bucket tier (archive.s3)'),
      })
      .openapi({ example: { inbox: 'inbox/bobs_burgers/hydrastor/system_report/icecream_machine/20230113_030000', tmp: 'tmp/…', archive: 'archive/…' } }),
    files: z.array(stagedFileSchema),
    events: z.array(jobEventSchema),
    skippedEntries: z.array(z.object({ name: z.string(), reason: z.string() })).openapi({
      description: 'Archive entries left out (unsafe or unsupported), from the timeline',
      example: [{ name: '../../etc/passwd', reason: 'path escapes the target' }],
    }),
    parseIssues: z
      .object({
        count: z.number().int().openapi({ description: 'Every issue of the last finished run', example: 1 }),
        items: z.array(parseIssueSchema).openapi({ description: 'The first 200, in input order' }),
      })
      .openapi({ description: 'Problems in the input that did not fail the job: values kept raw, lines skipped, files left out' }),
  })
  .openapi('JobDetail');

export const jobListSchema = z
  .object({
    jobs: z.array(jobSummarySchema),
    next: z.string().nullable().openapi({ description: 'Cursor of the next page; null on the last page' }),
  })
  .openapi('JobList');

export const jobFilesSchema = z.object({ files: z.array(stagedFileSchema) }).openapi('JobFiles');

export const jobActionSchema = z
  .object({
    job: jobSummarySchema,
    cancelRequested: z.boolean().optional().openapi({ description: 'True when a running job was asked to stop at its next checkpoint' }),
  })
  .openapi('JobAction');

export const jobCountsSchema = z
  .object({
    receivedSince: isoDateTime,
    receivedUntil: isoDateTime,
    total: z.number().int().openapi({ example: 42 }),
    byStatus: z.record(z.string(), z.number()).openapi({ example: { succeeded: 40, failed: 2 } }),
    byType: z.record(z.string(), z.number()).openapi({ example: { 'hydrastor/system_report': 30, 'hydrastor/alert': 12 } }),
    byCustomer: z.record(z.string(), z.number()).openapi({ example: { bobs_burgers: 42 } }),
  })
  .openapi('JobCounts');

/** POST /jobs/replay: the same filter as the list (JSON types), and whether to only count. */
export const replayRequestSchema = z
  .strictObject({
    filter: z
      .strictObject({
        customer: slugSchema.optional(),
        status: z.array(jobStatusSchema).optional().openapi({ description: 'Default: every status except queued and running' }),
        source: jobSourceSchema.optional(),
        category: z.string().min(1).max(100).optional(),
        type: z.string().min(1).max(201).optional().openapi({ description: 'Module type, or `category/type`' }),
        group: z.string().min(1).max(200).optional(),
        received_since: isoDateTime.optional(),
        received_until: isoDateTime.optional(),
        q: z.string().min(MIN_SEARCH_CHARS).max(MAX_SEARCH_CHARS).optional(),
      })
      .openapi({ description: 'At least one criterion', example: { customer: 'bobs_burgers', type: 'hydrastor/system_report' } }),
    dry_run: z.boolean().optional().openapi({ description: 'Only count the matching jobs', example: true }),
  })
  .openapi('ReplayRequest');

export const replayResultSchema = z
  .object({
    dryRun: z.boolean(),
    matched: z.number().int().openapi({ example: 30 }),
    batch: z
      .string()
      .optional()
      .openapi({ description: 'Names this replay; the new jobs carry it in sourceRef.replayBatch', example: '0b7c4e0e-3f1a-4a51-9a39-0f7a8d6c2b11' }),
    replayed: z
      .array(
        z.object({
          jobId: z.string().openapi({ format: 'uuid', description: 'The job whose originals were replayed' }),
          replayJobId: z.string().openapi({ format: 'uuid', description: 'The new job (source replay)' }),
          status: jobStatusSchema,
          duplicate: z.boolean().openapi({ description: 'The same batch was already replayed for this job' }),
        }),
      )
      .optional(),
    skipped: z.array(z.object({ jobId: z.string(), code: z.string().openapi({ example: 'ORIGINALS_MISSING' }), message: z.string() })).optional(),
  })
  .openapi('ReplayResult');
