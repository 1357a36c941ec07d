import { randomUUID } from 'node:crypto';
import Router from '@koa/router';
import type { JobStatus } from '../../db/database-schema.js';
import { CANCEL_AT_ONCE_STATUSES, RETRYABLE_STATUSES, cancelJob, retryJob } from '../../db/job-actions-repository.js';
import { countJobs } from '../../db/job-summary-repository.js';
import { listJobs } from '../../db/jobs-repository.js';
import { toIngestError } from '../../core/ingest-error.js';
import { replayArrival } from '../../pipeline/staging/replay-arrival.js';
import { requireAdmin, type AuthState } from '../auth.js';
import type { AppDeps } from '../create-app.js';
import { badRequest, conflict, notFound } from '../http-error.js';
import { jobFilterFrom } from './job-filter-params.js';
import { jobSummaryView } from './job-view.js';
import { jsonBodyOf, parseInput } from '../parse-input.js';
import { replayRequestSchema } from './jobs-schemas.js';
import { findVisibleJob } from './jobs-routes.js';

/** One replay request creates at most this many jobs; narrow the filter (a time window) for more. */
export const MAX_REPLAY_JOBS = 1000;
/** Replaying a job that is about to run anyway is a mistake unless asked for by status. */
const DEFAULT_REPLAY_STATUSES: readonly JobStatus[] = ['succeeded', 'failed', 'cancelled', 'timed_out', 'unclassified', 'held'];
const BATCH_NAME = /^[A-Za-z0-9_.-]{1,100}$/;

/** POST /jobs/:id/retry, /jobs/:id/cancel and /jobs/replay. */
export function jobActionsRoutes(deps: AppDeps): Router<AuthState> {
  const { db, config } = deps;
  const router = new Router<AuthState>();

  // Before /jobs/:id/… so "replay" is never read as an id.
  router.post('/jobs/replay', requireAdmin, async (ctx) => {
    const body = parseInput(replayRequestSchema, jsonBodyOf(ctx), 'body');
    const criteria = Object.values(body.filter).filter((value) => value !== undefined);
    if (criteria.length === 0) throw badRequest('filter', 'give at least one criterion (replaying every job is never what you want)');
    const filter = jobFilterFrom(body.filter, ctx.state.caller, 'filter.');
    if (filter === undefined) throw badRequest('filter.customer', 'not visible to this key');
    const effective = { ...filter, statuses: filter.statuses !== undefined && filter.statuses.length > 0 ? filter.statuses : DEFAULT_REPLAY_STATUSES };
    if (body.dry_run === true) {
      ctx.body = { dryRun: true, matched: await countJobs(db, { filter: effective }) };
      return;
    }
    const matched = await countJobs(db, { filter: effective, atMost: MAX_REPLAY_JOBS + 1 });
    if (matched > MAX_REPLAY_JOBS) throw badRequest('filter', `matches more than ${MAX_REPLAY_JOBS} jobs; narrow it (for example with received_since/received_until) and replay in parts`);
    const batchHeader = ctx.get('Idempotency-Key');
    if (batchHeader !== '' && !BATCH_NAME.test(batchHeader)) throw badRequest('Idempotency-Key', 'use 1 to 100 letters, digits, _, . or -');
    const batch = batchHeader === '' ? randomUUID() : batchHeader;
    // Oldest first: modules that keep "the latest report" must see the reports in their order.
    const jobs = (await listJobs(db, { filter: effective, limit: MAX_REPLAY_JOBS })).reverse();
    const replayed = [];
    const skipped = [];
    for (const job of jobs) {
      const plan = await replayArrival({ dataRoot: config.dataRoot, nodeName: config.nodeName ?? 'local', sharedDataRoot: config.sharedDataRoot, job, batch });
      if ('skipped' in plan) {
        skipped.push({ jobId: job.id, ...plan.skipped });
        continue;
      }
      let result;
      try {
        result = await deps.accept(plan.arrival);
      } catch (error) {
        // A transient failure stops the request (503); the client repeats it with the same
        // Idempotency-Key and the jobs already made are returned as duplicates.
        const failure = toIngestError(error);
        if (failure.transient) throw failure;
        skipped.push({ jobId: job.id, code: failure.code, message: failure.expose ? failure.message : 'the original could not be staged again' });
        continue;
      }
      replayed.push({ jobId: job.id, replayJobId: result.job.id, status: result.job.status, duplicate: result.duplicate });
    }
    deps.logger.info('replay done', { batch, matched, replayed: replayed.length, skipped: skipped.length, keyId: ctx.state.caller.keyId });
    ctx.body = { dryRun: false, matched, batch, replayed, skipped };
  });

  router.post('/jobs/:id/retry', async (ctx) => {
    const job = await findVisibleJob(db, ctx.state, ctx.params.id);
    const result = await retryJob(db, { jobId: job.id, actor: ctx.state.caller });
    if (result.outcome === 'missing') throw notFound('job');
    if (result.outcome === 'conflict' && job.inbox_purged_at !== null) {
      throw conflict('the job\'s originals were removed by retention; it cannot run again', { status: result.status });
    }
    if (result.outcome === 'conflict') {
      throw conflict(`a ${result.status} job cannot be retried; only ${RETRYABLE_STATUSES.join(', ')} jobs can${result.status === 'unclassified' ? ' (replay it once a module recognises it)' : ''}`, { status: result.status });
    }
    ctx.body = { job: jobSummaryView(result.job) };
  });

  router.post('/jobs/:id/cancel', async (ctx) => {
    const job = await findVisibleJob(db, ctx.state, ctx.params.id);
    const result = await cancelJob(db, { jobId: job.id, actor: ctx.state.caller });
    if (result.outcome === 'missing') throw notFound('job');
    if (result.outcome === 'conflict') {
      throw conflict(`a ${result.status} job cannot be cancelled; only ${[...CANCEL_AT_ONCE_STATUSES, 'running'].join(', ')} jobs can`, { status: result.status });
    }
    if (result.outcome === 'requested') {
      ctx.status = 202;
      ctx.body = { job: jobSummaryView(result.job), cancelRequested: true };
      return;
    }
    ctx.body = { job: jobSummaryView(result.job), cancelRequested: false };
  });

  return router;
}
