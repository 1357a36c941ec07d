import Router from '@koa/router';
import { CANCEL_AT_ONCE_STATUSES, RETRYABLE_STATUSES, cancelJob, retryJob } from '../../db/job-actions-repository.js';
import { replayJobs } from '../../pipeline/staging/replay-jobs.js';
import { requireAdmin, type AuthState } from '../auth.js';
import type { AppDeps } from '../app-deps.js';
import { badRequest, conflict, notFound } from '../http-error.js';
import { jobFilterFrom } from './job-filter-params.js';
import { jobSummaryView } from './job-view.js';
import { jsonBodyOf, parseInput } from '../parse-input.js';
import { replayRequestSchema } from './jobs-schemas.js';
import { findVisibleJob } from './jobs-routes.js';

const BATCH_NAME = /^[A-Za-z0-9_.-]{1,100}$/;

/** POST /jobs/:id/retry, /jobs/:id/cancel and /jobs/replay. */
export function jobActionsRoutes(deps: AppDeps): Router<AuthState> {
  const { db } = deps;
  const router = new Router<AuthState>();

  // Before /jobs/:id/… so "replay" is never read as an id.
  router.post('/jobs/replay', requireAdmin, async (ctx) => {
    const body = parseInput(replayRequestSchema, jsonBodyOf(ctx), 'body');
    const criteria = Object.values(body.filter).filter((value) => value !== undefined);
    if (criteria.length === 0) throw badRequest('filter', 'give at least one criterion (replaying every job is never what you want)');
    const filter = jobFilterFrom(body.filter, ctx.state.caller, 'filter.');
    if (filter === undefined) throw badRequest('filter.customer', 'not visible to this key');
    const batch = ctx.get('Idempotency-Key');
    if (body.dry_run !== true && batch !== '' && !BATCH_NAME.test(batch)) throw badRequest('Idempotency-Key', 'use 1 to 100 letters, digits, _, . or -');
    const outcome = await replayJobs(deps, { filter, dryRun: body.dry_run === true, ...(batch === '' ? {} : { batch }) });
    switch (outcome.kind) {
      case 'counted':
        ctx.body = { dryRun: true, matched: outcome.matched };
        return;
      case 'too-many':
        throw badRequest('filter', `matches more than ${outcome.limit} jobs; narrow it (for example with received_since/received_until) and replay in parts`);
      case 'replayed': {
        const { matched, replayed, skipped } = outcome;
        deps.logger.info('replay done', { batch: outcome.batch, matched, replayed: replayed.length, skipped: skipped.length, keyId: ctx.state.caller.keyId });
        ctx.body = { dryRun: false, matched, batch: outcome.batch, replayed, skipped };
      }
    }
  });

  router.post('/jobs/:id/retry', async (ctx) => {
    const job = await findVisibleJob(db, ctx.state, ctx.params.id);
    const result = await retryJob(db, { jobId: job.id, actor: ctx.state.caller });
    if (result.outcome === 'missing') throw notFound('job');
    if (result.outcome === 'conflict' && job.inbox_purged_at !== null) {
      throw conflict("the job's originals were removed by retention; it cannot run again", { status: result.status });
    }
    if (result.outcome === 'conflict') {
      throw conflict(
        `a ${result.status} job cannot be retried; only ${RETRYABLE_STATUSES.join(', ')} jobs can${result.status === 'unclassified' ? ' (replay it once a module recognises it)' : ''}`,
        { status: result.status },
      );
    }
    ctx.body = { job: jobSummaryView(result.job) };
  });

  router.post('/jobs/:id/cancel', async (ctx) => {
    const job = await findVisibleJob(db, ctx.state, ctx.params.id);
    const result = await cancelJob(db, { jobId: job.id, actor: ctx.state.caller });
    if (result.outcome === 'missing') throw notFound('job');
    if (result.outcome === 'conflict') {
      throw conflict(`a ${result.status} job cannot be cancelled; only ${[...CANCEL_AT_ONCE_STATUSES, 'running'].join(', ')} jobs can`, {
        status: result.status,
      });
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
