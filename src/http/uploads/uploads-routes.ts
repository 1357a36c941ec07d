import type { S3Client } from '@aws-sdk/client-s3';
import Router from '@koa/router';
import type { Middleware } from 'koa';
import type { Kysely } from 'kysely';
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Config } from '../../config/config-schema.js';
import { findCustomerBySlug } from '../../db/customers-repository.js';
import type { Database, JobRow } from '../../db/database-schema.js';
import type { StagedFile } from '../../core/staged-file.js';
import type { AcceptResult, Arrival } from '../../pipeline/accept.js';
import { IngestError, toIngestError } from '../../core/ingest-error.js';
import { stagedFilesOf } from '../../pipeline/staging/open-staged-file.js';
import { objectKeyForUpload } from './object-key-for-upload.js';
import { presignPutUrl } from './presign-put-url.js';
import type { AuthState } from '../auth.js';
import { badRequest, conflict, notFound } from '../http-error.js';
import { jobSummaryView } from '../jobs/job-view.js';
import { jsonBodyOf, parseInput } from '../parse-input.js';
import { presignRequestSchema } from './uploads-schemas.js';
import { UPLOADED_FILE_ROLE, stageUploadBody } from './stage-upload-body.js';
import { MULTIPART_OVERHEAD_BYTES, discardUnreadBody, isMultipart } from './upload-body.js';
import type { UploadProgress, UploadProgressRegistry } from './upload-progress.js';
import { parseUploadRequest, scopedCustomer, type UploadRequest } from './upload-request.js';

export interface UploadsRoutesDeps {
  readonly db: Kysely<Database>;
  readonly config: Config;
  /** The API prefix, for the Location of the job. */
  readonly prefix: string;
  readonly accept: (arrival: Arrival) => Promise<AcceptResult>;
  readonly progress: UploadProgressRegistry;
  /** Modules this instance runs: an unknown type is refused before the body is read. Absent: the pipeline refuses it after. */
  readonly moduleKeys?: readonly string[];
  /** Signs presigned PUT URLs; null while uploads.presign.enabled is false. */
  readonly presignClient: (() => Promise<S3Client>) | null;
}

/**
 * `POST /uploads/:category/:type`: the body is the file, so this router is mounted outside the
 * API's JSON body parser and applies the same guards (key, rate limit) itself. Whatever the
 * answer, a body left unread is drained (briefly) so the client can read it.
 */
export function uploadStreamRoutes(deps: UploadsRoutesDeps, guards: readonly Middleware<AuthState>[]): Router<AuthState> {
  const router = new Router<AuthState>({ prefix: deps.prefix });
  router.use(async (ctx, next) => {
    try {
      await next();
    } finally {
      discardUnreadBody(ctx.req);
    }
  });
  for (const guard of guards) router.use(guard);

  router.post('/uploads/:category/:type', async (ctx) => {
    const request = parseUploadRequest(ctx);
    const maxBytes = deps.config.uploads.maxBytes ?? deps.config.s3.maxObjectBytes;
    await checkBeforeBody({ deps, request, req: ctx.req, maxBytes, contentEncoding: ctx.get('Content-Encoding') });

    const tracker = deps.progress.begin({
      uploadId: request.uploadId,
      customer: request.customer,
      category: request.category,
      type: request.type,
      group: request.group ?? null,
      fileName: request.fileName ?? null,
      expectedBytes: request.contentLength ?? null,
    });
    ctx.set('Upload-Id', request.uploadId);
    const { caller } = ctx.state;
    const moduleKey = `${request.category}/${request.type}`;
    const idempotencyKey = request.idempotencyKeyHeader === undefined ? undefined : `api:upload:${caller.keyId}:${sha256Hex(request.idempotencyKeyHeader)}`;
    const requestSha256 = sha256Hex(JSON.stringify([request.customer, moduleKey, request.group ?? null]));
    let staged: StagedFile | undefined;
    try {
      const result = await deps.accept({
        source: 'api',
        customer: request.customer,
        moduleKey,
        ...(request.group === undefined ? {} : { group: request.group }),
        ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
        sourceRef: {
          uploadId: request.uploadId,
          apiKeyId: caller.keyId,
          requestSha256,
          ...(idempotencyKey === undefined ? {} : { idempotencyKeyGiven: true }),
        },
        hints: { uploadId: request.uploadId },
        writeFiles: async (folder) => {
          staged = await stageUploadBody({
            req: ctx.req,
            folder,
            maxBytes,
            fileName: request.fileName,
            onProgress: tracker.received,
            idleTimeoutMs: deps.config.http.timeouts.uploadIdleSeconds * 1000,
          });
          tracker.storing();
          return staged.originalName === undefined ? {} : { fileName: staged.originalName };
        },
      });
      if (result.duplicate && idempotencyKey !== undefined) assertSameUpload(result.job, requestSha256, staged);
      tracker.stored({ jobId: result.job.id, duplicate: result.duplicate });
      ctx.status = 202;
      ctx.set('Location', `${deps.prefix}/jobs/${result.job.id}`);
      ctx.body = { uploadId: request.uploadId, job: jobSummaryView(result.job), duplicate: result.duplicate };
    } catch (error) {
      const answer = asUploadError(error, { req: ctx.req, maxBytes });
      tracker.failed(answer);
      throw answer;
    }
  });

  return router;
}

/** Presigned S3 uploads and upload progress: JSON routes, mounted with the rest of the API. */
export function uploadsRoutes(deps: UploadsRoutesDeps): Router<AuthState> {
  const router = new Router<AuthState>();

  router.post('/uploads/presign', async (ctx) => {
    if (deps.presignClient === null)
      throw new IngestError('NOT_FOUND', 'presigned uploads are turned off on this service (uploads.presign.enabled)', { expose: true });
    const body = parseInput(presignRequestSchema, jsonBodyOf(ctx), 'body');
    const customer = scopedCustomer(ctx.state.caller, body.customer);
    await checkModuleAndCustomer(deps, { category: body.category, type: body.type, customer });
    const maxBytes = deps.config.s3.maxObjectBytes;
    if (body.size > maxBytes) throw tooLarge({ maxBytes, setting: 's3.maxObjectBytes', size: body.size });
    let target;
    try {
      target = objectKeyForUpload({
        routes: deps.config.s3.routes,
        category: body.category,
        type: body.type,
        customer,
        group: body.group,
        fileName: body.fileName,
      });
    } catch (error) {
      throw error instanceof IngestError && error.code === 'OBJECT_UNROUTABLE' ? badRequest('body', error.message) : error;
    }
    const presigned = await presignPutUrl({
      s3: await deps.presignClient(),
      ...target,
      contentLength: body.size,
      expiresInSeconds: deps.config.uploads.presign.expiresSeconds,
    });
    ctx.body = { method: 'PUT', url: presigned.url, headers: presigned.headers, ...target, expiresAt: presigned.expiresAt.toISOString() };
  });

  router.get('/uploads', (ctx) => {
    const { caller } = ctx.state;
    ctx.body = {
      uploads: deps.progress
        .list()
        .filter((upload) => caller.role === 'admin' || upload.customer === caller.customer)
        .map(uploadProgressView),
    };
  });

  router.get('/uploads/:uploadId', (ctx) => {
    const { caller } = ctx.state;
    // Scoped to the key's customer: another customer's upload of the same id is simply not there.
    const upload = deps.progress.find(ctx.params.uploadId ?? '', caller.role === 'admin' ? null : (caller.customer ?? ''));
    if (upload === undefined) throw notFound('upload');
    ctx.body = uploadProgressView(upload);
  });

  return router;
}

/** Everything that can be refused from the headers alone, before a byte of the body is read. */
async function checkBeforeBody(args: {
  readonly deps: UploadsRoutesDeps;
  readonly request: UploadRequest;
  readonly req: IncomingMessage;
  readonly maxBytes: number;
  readonly contentEncoding: string;
}): Promise<void> {
  const { request, maxBytes } = args;
  await checkModuleAndCustomer(args.deps, request);
  if (args.contentEncoding !== '' && args.contentEncoding.toLowerCase() !== 'identity') {
    throw new IngestError('UNSUPPORTED_MEDIA_TYPE', 'Content-Encoding: send the file as it is (a .tar.gz is already compressed)', { expose: true });
  }
  if (request.contentLength === 0) throw badRequest('body', 'is empty: send the file');
  const allowance = isMultipart(args.req) ? MULTIPART_OVERHEAD_BYTES : 0;
  if (request.contentLength !== undefined && request.contentLength > maxBytes + allowance) {
    throw tooLarge({ maxBytes, setting: 'uploads.maxBytes', size: request.contentLength });
  }
}

async function checkModuleAndCustomer(
  deps: UploadsRoutesDeps,
  args: { readonly category: string; readonly type: string; readonly customer: string },
): Promise<void> {
  const moduleKey = `${args.category}/${args.type}`;
  if (deps.moduleKeys !== undefined && !deps.moduleKeys.includes(moduleKey)) {
    throw new IngestError('MODULE_UNKNOWN', `no module "${moduleKey}"; known: ${deps.moduleKeys.join(', ') || 'none'}`, { expose: true });
  }
  const customer = await findCustomerBySlug(deps.db, args.customer);
  if (customer === undefined) throw new IngestError('CUSTOMER_UNKNOWN', `no customer "${args.customer}"`, { expose: true });
  if (customer.disabled_at !== null) throw new IngestError('CUSTOMER_DISABLED', `customer "${args.customer}" is disabled`, { expose: true });
}

/** A repeated Idempotency-Key must come with the same customer, module, group and file. */
function assertSameUpload(job: JobRow, requestSha256: string, staged: StagedFile | undefined): void {
  const recorded = (job.source_ref as { requestSha256?: unknown } | null)?.requestSha256;
  const recordedFile = stagedFilesOf(job).find((file) => file.role === UPLOADED_FILE_ROLE) ?? stagedFilesOf(job)[0];
  if (recorded !== requestSha256 || staged === undefined || recordedFile?.sha256 !== staged.sha256) {
    throw conflict('Idempotency-Key was already used with a different upload (customer, module, group or file)', { jobId: job.id });
  }
}

/** The pipeline's failures as the client should read them; a request cut short is said so. */
function asUploadError(error: unknown, args: { readonly req: IncomingMessage; readonly maxBytes: number }): IngestError {
  const ingestError = toIngestError(error);
  switch (ingestError.code) {
    case 'ARRIVAL_TOO_LARGE':
      return tooLarge({ maxBytes: args.maxBytes, setting: 'uploads.maxBytes' });
    case 'ARCHIVE_UNSUPPORTED':
      return new IngestError('UNSUPPORTED_MEDIA_TYPE', `body: ${ingestError.message}; the type is read from the content, not from the name`, {
        expose: true,
        details: ingestError.details ?? {},
      });
    case 'EMPTY_UPLOAD':
      return badRequest('body', 'is empty: send the file');
    case 'UPLOAD_STALLED':
      return badRequest('body', `${ingestError.message}; the upload was dropped`);
    default:
      if (args.req.destroyed && !args.req.complete) return badRequest('body', 'the client disconnected before the end of the upload; nothing was kept');
      return ingestError;
  }
}

function tooLarge(args: { readonly maxBytes: number; readonly setting: string; readonly size?: number }): IngestError {
  const what = args.size === undefined ? 'the file is larger than' : `${args.size} bytes is more than`;
  return new IngestError('PAYLOAD_TOO_LARGE', `${what} the limit of ${args.maxBytes} bytes (${args.setting})`, {
    expose: true,
    details: { limitBytes: args.maxBytes },
  });
}

function uploadProgressView(upload: UploadProgress) {
  return { ...upload, startedAt: upload.startedAt.toISOString(), updatedAt: upload.updatedAt.toISOString() };
}

function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}
