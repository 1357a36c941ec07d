import Router from '@koa/router';
import type { ParameterizedContext } from 'koa';
import type { Kysely } from 'kysely';
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Database, JobRow } from '../../db/database-schema.js';
import { findJobByIdempotencyKey } from '../../db/jobs-repository.js';
import { IngestError, toIngestError } from '../../core/ingest-error.js';
import { parseSeedS3Path, type RoutedSeedPath } from '../../s3events/route-object.js';
import { startObjectJob, type ObjectJobDeps } from '../../s3events/start-object-job.js';
import type { AuthState } from '../auth.js';
import { badRequest, conflict, forbidden } from '../http-error.js';
import { jobSummaryView } from '../jobs/job-view.js';
import { jsonBodyOf, parseInput } from '../parse-input.js';

/** The module the seed's trigger starts; its buckets come from `s3.routes`. */
export const VERITAS_MODULE_KEY = 'hydrastor/veritas2hview';

/** The seed's request body: `s3_path` is the key within the bucket, without the bucket name. */
export const veritasTriggerBodySchema = z.strictObject({
  uid: z.string().trim().min(1, 'must not be empty').max(200),
  customer: z.string().min(1, 'must not be empty').max(63),
  grid: z.string().min(1, 'must not be empty').max(255),
  s3_path: z.string().min(1, 'must not be empty').max(1024),
});
type VeritasTriggerBody = z.infer<typeof veritasTriggerBodySchema>;

/** Printable ASCII, like Stripe's and the IETF draft's keys. */
const IDEMPOTENCY_KEY_HEADER = /^[\x21-\x7e]{1,255}$/;

export interface VeritasTriggerRoutesDeps {
  readonly db: Kysely<Database>;
  readonly objectJobs: ObjectJobDeps;
}

/**
 * `POST /api/1.0/veritas2hview/update` (seed-compatible): starts the job for an uploaded export
 * at `s3_path` and answers 202 with it once the object is in inbox/ and the job committed.
 * The same object triggered again (or already announced by its S3 event) is the same job. With
 * an `Idempotency-Key` header, the same key and body return the same job and a different body
 * is 409. A customer key may trigger only its own customer's uploads: another customer's path is
 * 403 (the customer is named in the caller's own request, so 403 reveals nothing a 404 would hide).
 */
export function veritasTriggerRoutes(deps: VeritasTriggerRoutesDeps): Router<AuthState> {
  const router = new Router<AuthState>();

  router.post('/veritas2hview/update', async (ctx) => {
    const body = parseInput(veritasTriggerBodySchema, jsonBodyOf(ctx), 'body');
    const headerKey = ctx.get('Idempotency-Key');
    if (headerKey !== '' && !IDEMPOTENCY_KEY_HEADER.test(headerKey)) throw badRequest('Idempotency-Key', 'must be 1 to 255 printable ASCII characters');
    const target = locateUpload(body, deps.objectJobs);
    const { caller } = ctx.state;
    if (caller.role !== 'admin' && caller.customer !== target.customer) {
      throw forbidden(`this API key may trigger uploads of customer "${caller.customer ?? ''}" only`);
    }

    const requestSha256 = sha256Hex(JSON.stringify([body.uid, body.customer, body.grid, body.s3_path]));
    const idempotencyKey = headerKey === '' ? undefined : `api:${VERITAS_MODULE_KEY}:${caller.keyId}:${sha256Hex(headerKey)}`;
    if (idempotencyKey !== undefined) {
      const existing = await findJobByIdempotencyKey(deps.db, idempotencyKey);
      if (existing !== undefined && existing.status !== 'staging') {
        assertSameRequest(existing, requestSha256);
        answer(ctx, existing, true);
        return;
      }
    }
    let outcome;
    try {
      outcome = await startObjectJob(deps.objectJobs, {
        source: 'api',
        bucket: target.bucket,
        key: target.key,
        lookUpVersion: true,
        mode: 'interactive',
        ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
        sourceRef: { uid: body.uid, apiKeyId: caller.keyId, requestSha256, ...(idempotencyKey === undefined ? {} : { idempotencyKeyGiven: true }) },
      });
    } catch (error) {
      throw asRequestError(error, target);
    }
    if (outcome.kind !== 'created' && outcome.kind !== 'duplicate') {
      throw new IngestError('INTERNAL', `unexpected outcome ${outcome.kind} for an interactive trigger`);
    }
    if (idempotencyKey !== undefined && outcome.kind === 'duplicate') assertSameRequest(outcome.job, requestSha256);
    answer(ctx, outcome.job, outcome.kind === 'duplicate');
  });

  return router;
}

/** The bucket and key named by `s3_path`, checked against the body's customer and grid. */
function locateUpload(body: VeritasTriggerBody, objectJobs: ObjectJobDeps): RoutedSeedPath {
  const buckets = [...new Set(objectJobs.routes.filter((route) => `${route.category}/${route.type}` === VERITAS_MODULE_KEY).map((route) => route.bucket))];
  if (buckets.length === 0) throw badRequest('s3_path', `no bucket is configured for ${VERITAS_MODULE_KEY} (s3.routes)`);
  let firstProblem: IngestError | undefined;
  for (const bucket of buckets) {
    try {
      const target = parseSeedS3Path({ s3Path: body.s3_path, bucket, routes: objectJobs.routes });
      if (`${target.category}/${target.type}` !== VERITAS_MODULE_KEY) continue;
      if (target.customer !== body.customer) throw badRequest('customer', `must be the customer segment of s3_path ("${target.customer}")`);
      if (target.group !== body.grid) throw badRequest('grid', `must be the grid segment of s3_path ("${target.group}")`);
      return target;
    } catch (error) {
      if (!(error instanceof IngestError) || error.code !== 'OBJECT_UNROUTABLE') throw error;
      firstProblem ??= error;
    }
  }
  throw badRequest('s3_path', firstProblem?.message ?? `is not under a ${VERITAS_MODULE_KEY} route`);
}

function assertSameRequest(job: JobRow, requestSha256: string): void {
  const recorded = (job.source_ref as { requestSha256?: unknown } | null)?.requestSha256;
  if (recorded !== requestSha256) {
    throw conflict('Idempotency-Key was already used with a different request body', { jobId: job.id });
  }
}

function answer(ctx: ParameterizedContext<AuthState>, job: JobRow, duplicate: boolean): void {
  ctx.status = 202;
  ctx.set('Location', `${ctx.path.slice(0, ctx.path.indexOf('/veritas2hview/'))}/jobs/${job.id}`);
  ctx.body = { job: jobSummaryView(job), duplicate };
}

function asRequestError(error: unknown, target: RoutedSeedPath): IngestError {
  const ingestError = toIngestError(error);
  const where = `s3://${target.bucket}/${target.key}`;
  switch (ingestError.code) {
    case 'OBJECT_UNROUTABLE':
      return badRequest('s3_path', ingestError.message);
    case 'OBJECT_MISSING':
      return badRequest('s3_path', `no object ${where}`);
    case 'OBJECT_CHANGED':
      return conflict(`${where} changed while it was being read; try again`);
    case 'S3_ACCESS_DENIED':
      return new IngestError('S3_ACCESS_DENIED', `the service may not read ${where}`);
    default:
      return ingestError;
  }
}

function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}
