import Router from '@koa/router';
import { assignUnclassifiedJob, dismissUnclassifiedJob } from '../../db/unclassified-actions-repository.js';
import type { JobActionResult } from '../../db/job-actions-repository.js';
import type { AuthState } from '../auth.js';
import { badRequest, conflict, notFound } from '../http-error.js';
import { jsonBodyOf, parseInput } from '../parse-input.js';
import { findVisibleJob } from './jobs-routes.js';
import { jobSummaryView } from './job-view.js';
import { assignRequestSchema, dismissRequestSchema } from './unclassified-schemas.js';
import type { AppDeps } from '../app-deps.js';

/**
 * POST /jobs/:id/assign and /jobs/:id/dismiss: what an operator does with mail no module claimed.
 * Assigned, the job runs like any other; dismissed, it ends cancelled (DISMISSED) with the reason.
 */
export function unclassifiedRoutes(deps: Pick<AppDeps, 'db' | 'moduleKeys'>): Router<AuthState> {
  const { db } = deps;
  const router = new Router<AuthState>();

  router.post('/jobs/:id/assign', async (ctx) => {
    const job = await findVisibleJob(db, ctx.state, ctx.params.id);
    const body = parseInput(assignRequestSchema, jsonBodyOf(ctx), 'body');
    if (deps.moduleKeys !== undefined && !deps.moduleKeys.includes(body.module)) {
      throw badRequest('module', `no module ${body.module} runs here (${deps.moduleKeys.join(', ')})`);
    }
    const [category, type] = body.module.split('/') as [string, string];
    const result = await assignUnclassifiedJob(db, { jobId: job.id, category, type, group: body.group, actor: ctx.state.caller });
    ctx.body = { job: jobSummaryView(settled(result)) };
  });

  router.post('/jobs/:id/dismiss', async (ctx) => {
    const job = await findVisibleJob(db, ctx.state, ctx.params.id);
    const body = parseInput(dismissRequestSchema, jsonBodyOf(ctx), 'body');
    const result = await dismissUnclassifiedJob(db, { jobId: job.id, reason: body.reason, actor: ctx.state.caller });
    ctx.body = { job: jobSummaryView(settled(result)) };
  });

  return router;
}

function settled(result: JobActionResult) {
  if (result.outcome === 'missing') throw notFound('job');
  if (result.outcome === 'conflict') throw conflict(`a ${result.status} job is not unclassified`, { status: result.status });
  return result.job;
}
