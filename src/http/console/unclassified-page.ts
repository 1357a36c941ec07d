import type Router from '@koa/router';
import type { JobRow } from '../../db/database-schema.js';
import { listJobs } from '../../db/jobs-repository.js';
import { assignUnclassifiedJob, dismissUnclassifiedJob } from '../../db/unclassified-actions-repository.js';
import type { JobActionResult } from '../../db/job-actions-repository.js';
import { readJobManifest } from '../../db/job-manifest.js';
import type { AppDeps } from '../app-deps.js';
import { badRequest, conflict, notFound } from '../http-error.js';
import { jobFilterFrom } from '../jobs/job-filter-params.js';
import { decodeCursor, encodeCursor, findVisibleJob } from '../jobs/jobs-routes.js';
import { parseInput } from '../parse-input.js';
import { assignRequestSchema, dismissRequestSchema } from '../jobs/unclassified-schemas.js';
import { formField } from './console-csrf.js';
import { formatTime, sourceLabel } from './console-format.js';
import { consolePage, csrfField, type PageSession } from './console-layout.js';
import { noticeFor, pageSession, redirectTo, textParam } from './console-request.js';
import type { ConsoleState } from './console-session.js';
import { html, queryString, type SafeHtml } from './html.js';
import { readStagedPreview } from './staged-preview.js';

/** Each entry reads a preview from disk: a short page. */
const UNCLASSIFIED_PAGE_SIZE = 20;

/**
 * GET /console/unclassified: arrivals no module claimed, newest first, each with its subject,
 * sender and a preview, and the two things an operator does with one: assign a module and
 * group (the job then runs like any other) or dismiss it with a reason.
 */
export function registerUnclassifiedPage(router: Router<ConsoleState>, deps: AppDeps): void {
  const { db } = deps;

  router.get('/console/unclassified', async (ctx) => {
    const cursor = textParam(ctx.query.cursor);
    const filter = jobFilterFrom({ status: 'unclassified' }, ctx.state.caller);
    const after = cursor === undefined ? undefined : decodeCursor(cursor);
    const rows = filter === undefined ? [] : await listJobs(db, { filter, limit: UNCLASSIFIED_PAGE_SIZE + 1, ...(after === undefined ? {} : { after }) });
    const page = rows.slice(0, UNCLASSIFIED_PAGE_SIZE);
    const last = page.at(-1);
    const next = rows.length > UNCLASSIFIED_PAGE_SIZE && last !== undefined ? encodeCursor({ receivedAt: last.received_at, id: last.id }) : null;
    const previews = await Promise.all(page.map((job) => readStagedPreview(deps.config.dataRoot, job)));
    const session = pageSession(ctx.state);
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = consolePage({
      title: 'Unclassified arrivals',
      active: 'unclassified',
      session,
      notice: noticeFor(ctx.query.done),
      body: html`<p>
          Arrivals that no module recognised. Assign one to a module and group and it runs like any other job; dismiss one (with the reason) and it ends
          cancelled.
        </p>
        ${page.length === 0 ? html`<p>Nothing unclassified.</p>` : page.map((job, index) => entry(job, previews[index], session, deps.moduleKeys ?? []))}
        <nav class="pager" aria-label="Pages">
          ${cursor === undefined ? '' : html`<a href="/console/unclassified">Newest</a>`}${next === null ? '' : html`<a href="/console/unclassified${queryString({ cursor: next })}" rel="next">Older →</a>`}
        </nav>`,
    });
  });

  router.post('/console/jobs/:id/assign', async (ctx) => {
    const job = await findVisibleJob(db, ctx.state, ctx.params.id);
    const body = parseInput(assignRequestSchema, { module: formField(ctx, 'module'), group: formField(ctx, 'group').trim() }, 'body');
    if (deps.moduleKeys !== undefined && !deps.moduleKeys.includes(body.module)) throw badRequest('module', `no module ${body.module} runs here`);
    const [category, type] = body.module.split('/') as [string, string];
    settled(await assignUnclassifiedJob(db, { jobId: job.id, category, type, group: body.group, actor: ctx.state.caller }));
    redirectTo(ctx, `/console/jobs/${job.id}?done=assigned`);
  });

  router.post('/console/jobs/:id/dismiss', async (ctx) => {
    const job = await findVisibleJob(db, ctx.state, ctx.params.id);
    const body = parseInput(dismissRequestSchema, { reason: formField(ctx, 'reason') }, 'body');
    settled(await dismissUnclassifiedJob(db, { jobId: job.id, reason: body.reason, actor: ctx.state.caller }));
    redirectTo(ctx, '/console/unclassified?done=dismissed');
  });
}

function settled(result: JobActionResult): void {
  if (result.outcome === 'missing') throw notFound('job');
  if (result.outcome === 'conflict') throw conflict(`a ${result.status} job is not unclassified any more`);
}

type Preview = Awaited<ReturnType<typeof readStagedPreview>> | undefined;

function entry(job: JobRow, preview: Preview, session: PageSession, moduleKeys: readonly string[]): SafeHtml {
  const { hints, files } = readJobManifest(job);
  const id = `job-${job.id}`;
  const subject = hints.subject ?? '(no subject)';
  return html`<section class="card" id="${id}" aria-labelledby="${id}-title">
    <h2 id="${id}-title">${subject}</h2>
    <dl class="facts">
      <dt>Sender</dt>
      <dd>${hints.from ?? '—'}</dd>
      <dt>Customer</dt>
      <dd>${job.customer}</dd>
      <dt>Received</dt>
      <dd>${formatTime(job.received_at)} via ${sourceLabel(job.source)}</dd>
      <dt>Files</dt>
      <dd>
        ${files.map((file) => file.originalName ?? file.name).join(', ') || '—'} (<a href="/console/jobs/${job.id}" aria-label="Job page of ${subject}"
          >job page</a
        >)
      </dd>
    </dl>
    ${preview === undefined || 'none' in preview ? html`<p class="hint">No preview: ${preview === undefined ? 'unavailable' : preview.none}.</p>` : html`<pre class="preview" tabindex="0" aria-label="Preview of ${subject}">${preview.text}${preview.truncated ? '\n…' : ''}</pre>`}
    <div class="actions">
      <form method="post" action="/console/jobs/${job.id}/assign" class="filters" aria-label="Assign ${subject}">
        ${csrfField(session)}
        <div class="field">
          <label for="${id}-module">Module</label
          ><select id="${id}-module" name="module" required>
            ${moduleKeys.map((key) => html`<option value="${key}">${key}</option>`)}
          </select>
        </div>
        <div class="field">
          <label for="${id}-group">Group</label
          ><input
            id="${id}-group"
            name="group"
            required
            pattern="[A-Za-z0-9][A-Za-z0-9_.\\-]{0,99}"
            placeholder="grid or master server"
            aria-describedby="${id}-group-hint"
          /><span id="${id}-group-hint" class="hint">letters, digits, _ . -</span>
        </div>
        <div class="field"><button type="submit">Assign</button></div>
      </form>
      <form method="post" action="/console/jobs/${job.id}/dismiss" class="filters" aria-label="Dismiss ${subject}">
        ${csrfField(session)}
        <div class="field"><label for="${id}-reason">Reason</label><input id="${id}-reason" name="reason" required maxlength="500" size="30" /></div>
        <div class="field"><button type="submit" class="danger">Dismiss</button></div>
      </form>
    </div>
  </section>`;
}
