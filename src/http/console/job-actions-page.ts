import { randomBytes } from 'node:crypto';
import type Router from '@koa/router';
import { cancelJob, retryJob } from '../../db/job-actions-repository.js';
import { replayJobs } from '../../pipeline/staging/replay-jobs.js';
import type { AppDeps } from '../app-deps.js';
import { conflict, forbidden, notFound } from '../http-error.js';
import { findVisibleJob } from '../jobs/jobs-routes.js';
import { formField } from './console-csrf.js';
import { sourceLabel, statusBadge, formatTime } from './console-format.js';
import { consolePage, csrfField } from './console-layout.js';
import { pageSession, redirectTo } from './console-request.js';
import type { ConsoleState } from './console-session.js';
import { html } from './html.js';
import { availableActions } from './job-detail-page.js';

type Action = 'retry' | 'cancel' | 'replay';
const ACTIONS: readonly Action[] = ['retry', 'cancel', 'replay'];
const BATCH_NAME = /^[A-Za-z0-9_.-]{1,100}$/;

const EXPLAIN: Readonly<Record<Action, string>> = {
  retry: 'The job goes back to the queue with its attempts reset and runs again on the same originals.',
  cancel: 'A job that is not running ends at once; a running one stops at its next checkpoint. Rows already committed stay.',
  replay: 'A new job is made from the same originals and classified again (the module that matches now takes it). This job stays as it is.',
};

/**
 * The confirmation step (GET …/confirm/:action, a page of its own so it works without
 * JavaScript and with the keyboard) and the POSTs it sends, which reuse the API's repository calls.
 */
export function registerJobActionsPage(router: Router<ConsoleState>, deps: AppDeps): void {
  const { db } = deps;

  router.get('/console/jobs/:id/confirm/:action', async (ctx) => {
    const job = await findVisibleJob(db, ctx.state, ctx.params.id);
    const action = ctx.params.action as Action;
    if (!ACTIONS.includes(action)) throw notFound('action');
    const allowed = availableActions(job, ctx.state.caller.role === 'admin').includes(action);
    const session = pageSession(ctx.state);
    // A batch name chosen now: sending the form twice (a double click, a reload) replays once.
    const batch = `console-${job.id.slice(0, 8)}-${randomBytes(6).toString('hex')}`;
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = consolePage({
      title: `${action[0]?.toUpperCase() ?? ''}${action.slice(1)} job ${job.id.slice(0, 8)}?`,
      active: 'jobs',
      session,
      body: html`<dl class="facts">
          <dt>Job</dt>
          <dd class="mono">${job.id}</dd>
          <dt>Status</dt>
          <dd>${statusBadge(job.status)}</dd>
          <dt>Customer</dt>
          <dd>${job.customer}</dd>
          <dt>Module</dt>
          <dd>${job.category}/${job.type}</dd>
          <dt>Group</dt>
          <dd>${job.group_name}</dd>
          <dt>Source</dt>
          <dd>${sourceLabel(job.source)}</dd>
          <dt>Received</dt>
          <dd>${formatTime(job.received_at)}</dd>
        </dl>
        ${
          allowed
            ? html`<p>${EXPLAIN[action]}</p>
                <form method="post" action="/console/jobs/${job.id}/${action}">
                  ${csrfField(session)}${action === 'replay' ? html`<input type="hidden" name="batch" value="${batch}" />` : ''}
                  <div class="actions">
                    <button type="submit" class="${action === 'cancel' ? 'danger' : ''}">Yes, ${action} this job</button
                    ><a class="button secondary" href="/console/jobs/${job.id}">No, back to the job</a>
                  </div>
                </form>`
            : html`<p class="error-box" role="alert">
                  A ${job.status} job cannot be
                  ${action === 'retry' ? 'retried' : action === 'cancel' ? 'cancelled' : 'replayed'}${action === 'replay' && ctx.state.caller.role !== 'admin' ? ' with a customer key' : ''}.
                </p>
                <p><a href="/console/jobs/${job.id}">Back to the job</a></p>`
        }`,
    });
  });

  router.post('/console/jobs/:id/retry', async (ctx) => {
    const job = await findVisibleJob(db, ctx.state, ctx.params.id);
    const result = await retryJob(db, { jobId: job.id, actor: ctx.state.caller });
    if (result.outcome === 'missing') throw notFound('job');
    if (result.outcome === 'conflict')
      throw conflict(`a ${result.status} job cannot be retried${job.inbox_purged_at === null ? '' : ' (its originals were removed by retention)'}`);
    redirectTo(ctx, `/console/jobs/${job.id}?done=retried`);
  });

  router.post('/console/jobs/:id/cancel', async (ctx) => {
    const job = await findVisibleJob(db, ctx.state, ctx.params.id);
    const result = await cancelJob(db, { jobId: job.id, actor: ctx.state.caller });
    if (result.outcome === 'missing') throw notFound('job');
    if (result.outcome === 'conflict') throw conflict(`a ${result.status} job cannot be cancelled`);
    redirectTo(ctx, `/console/jobs/${job.id}?done=${result.outcome === 'requested' ? 'cancel-requested' : 'cancelled'}`);
  });

  router.post('/console/jobs/:id/replay', async (ctx) => {
    // As POST /api/1.0/jobs/replay: admin keys only.
    if (ctx.state.caller.role !== 'admin') throw forbidden('replay needs an admin key');
    const job = await findVisibleJob(db, ctx.state, ctx.params.id);
    const batchField = formField(ctx, 'batch');
    const batch = BATCH_NAME.test(batchField) ? batchField : undefined;
    const outcome = await replayJobs(deps, { filter: { ids: [job.id] }, ...(batch === undefined ? {} : { batch }) });
    if (outcome.kind !== 'replayed') throw conflict('the job cannot be replayed');
    const skipped = outcome.skipped[0];
    if (skipped !== undefined) throw conflict(`not replayed: ${skipped.code}: ${skipped.message}`);
    const replayed = outcome.replayed[0];
    if (replayed === undefined) throw conflict(`a ${job.status} job is not replayed (only finished, unclassified or held jobs are)`);
    deps.logger.info('console replay', { jobId: job.id, replayJobId: replayed.replayJobId, batch: outcome.batch, keyId: ctx.state.caller.keyId });
    redirectTo(ctx, `/console/jobs/${replayed.replayJobId}?done=replayed`);
  });
}
