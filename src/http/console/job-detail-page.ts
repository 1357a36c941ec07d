import type Router from '@koa/router';
import type { Kysely } from 'kysely';
import type { Database, JobEventRow, JobRow } from '../../db/database-schema.js';
import { CANCEL_AT_ONCE_STATUSES, RETRYABLE_STATUSES } from '../../db/job-actions-repository.js';
import { listJobEvents } from '../../db/jobs-repository.js';
import { openStagedFile } from '../../pipeline/staging/open-staged-file.js';
import { DEFAULT_REPLAY_STATUSES } from '../../pipeline/staging/replay-jobs.js';
import { contentDisposition } from '../jobs/job-files-routes.js';
import { jobDetailView } from '../jobs/job-view.js';
import { findVisibleJob } from '../jobs/jobs-routes.js';
import { formatBytes, formatTime, sourceLabel, statusBadge } from './console-format.js';
import { consolePage } from './console-layout.js';
import { noticeFor, pageSession } from './console-request.js';
import type { ConsoleState } from './console-session.js';
import { errorHint } from './error-hint.js';
import { html, type SafeHtml } from './html.js';

type JobDetail = ReturnType<typeof jobDetailView>;

/** GET /console/jobs/:id (everything about one job) and its files' downloads. */
export function registerJobDetailPage(router: Router<ConsoleState>, deps: { readonly db: Kysely<Database>; readonly dataRoot: string }): void {
  router.get('/console/jobs/:id', async (ctx) => {
    const job = await findVisibleJob(deps.db, ctx.state, ctx.params.id);
    const events = await listJobEvents(deps.db, job.id);
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = consolePage({
      title: `Job ${job.id}`,
      active: 'jobs',
      session: pageSession(ctx.state),
      notice: noticeFor(ctx.query.done),
      body: jobDetailBody(job, jobDetailView(job, events), events, ctx.state.caller.role === 'admin'),
    });
  });

  router.get('/console/jobs/:id/files/:name', async (ctx) => {
    const job = await findVisibleJob(deps.db, ctx.state, ctx.params.id);
    const { file, size, stream } = await openStagedFile({ dataRoot: deps.dataRoot, job, name: ctx.params.name ?? '' });
    // A download, never rendered: an original mail or HTML part must not run in the console's origin.
    ctx.set('Content-Type', 'application/octet-stream');
    ctx.set('Content-Disposition', contentDisposition(file.originalName ?? file.name));
    ctx.set('Content-Length', String(size));
    ctx.body = stream;
  });
}

/** Which of retry, cancel and replay apply to a job in its state (and for this key). */
export function availableActions(job: Pick<JobRow, 'status' | 'inbox_purged_at'>, admin: boolean): Array<'retry' | 'cancel' | 'replay'> {
  const actions: Array<'retry' | 'cancel' | 'replay'> = [];
  if ((RETRYABLE_STATUSES as readonly string[]).includes(job.status) && job.inbox_purged_at === null) actions.push('retry');
  if ((CANCEL_AT_ONCE_STATUSES as readonly string[]).includes(job.status) || job.status === 'running') actions.push('cancel');
  if (admin && DEFAULT_REPLAY_STATUSES.includes(job.status) && job.inbox_purged_at === null) actions.push('replay');
  return actions;
}

const ACTION_LABELS = { retry: 'Retry…', cancel: 'Cancel…', replay: 'Replay…' } as const;

function jobDetailBody(job: JobRow, detail: JobDetail, events: readonly JobEventRow[], admin: boolean): SafeHtml {
  const actions = availableActions(job, admin);
  const module = `${job.category}/${job.type}`;
  const stats = Object.entries(detail.stats as Record<string, unknown>);
  return html`<dl class="facts">
      <dt>Status</dt>
      <dd>${statusBadge(job.status)}${job.cancel_requested_at === null ? '' : ' (cancel requested)'}</dd>
      <dt>Customer</dt>
      <dd>${job.customer}</dd>
      <dt>Module</dt>
      <dd>${module}</dd>
      <dt>Group</dt>
      <dd>${job.group_name}</dd>
      <dt>Source</dt>
      <dd>${sourceLabel(job.source)}</dd>
      ${
        detail.hints.subject === undefined
          ? ''
          : html`<dt>Subject</dt>
              <dd>${detail.hints.subject}</dd>`
      }
      ${
        detail.hints.from === undefined
          ? ''
          : html`<dt>Sender</dt>
              <dd>${detail.hints.from}</dd>`
      }
      <dt>Received</dt>
      <dd>${formatTime(job.received_at)}</dd>
      <dt>Started</dt>
      <dd>${formatTime(job.started_at)}</dd>
      <dt>Finished</dt>
      <dd>${formatTime(job.finished_at)}</dd>
      <dt>Attempts</dt>
      <dd>${job.attempts} of ${job.max_attempts}</dd>
      <dt>Folder</dt>
      <dd class="mono">${detail.paths.inbox}${job.inbox_purged_at === null ? '' : ' (removed by retention)'}</dd>
      ${
        job.archive_uploaded_at === null
          ? ''
          : html`<dt>Archive copy</dt>
              <dd class="mono">${detail.paths.archive}${job.archive_purged_at === null ? '' : ' (removed by retention)'}</dd>`
      }
    </dl>
    ${actions.length === 0 ? '' : html`<div class="actions">${actions.map((action) => html`<a class="button${action === 'cancel' ? ' danger' : ''}" href="/console/jobs/${job.id}/confirm/${action}">${ACTION_LABELS[action]}</a>`)}</div>`}
    ${job.status === 'unclassified' ? html`<p><a href="/console/unclassified#job-${job.id}">Assign or dismiss it on the Unclassified page</a></p>` : ''}
    ${job.error_code === null ? '' : errorSection(job.error_code, job.error_message ?? '', module)}
    <h2>Rows written</h2>
    ${
      stats.length === 0
        ? html`<p>None recorded${job.status === 'succeeded' ? '' : ' (rows are recorded when a run succeeds)'}.</p>`
        : html`<table>
            <caption class="visually-hidden">
              Rows written per table
            </caption>
            <thead>
              <tr>
                <th scope="col">Table</th>
                <th scope="col" class="num">Rows</th>
              </tr>
            </thead>
            <tbody>
              ${stats.map(
                ([table, count]) =>
                  html`<tr>
                    <td class="mono">${table}</td>
                    <td class="num">${String(count)}</td>
                  </tr>`,
              )}
            </tbody>
          </table>`
    }
    ${detail.parseIssues.count === 0 ? '' : parseIssuesSection(detail)}
    <h2>Files</h2>
    ${filesTable(job, detail)}
    <h2>Timeline</h2>
    <table>
      <caption class="visually-hidden">
        What happened to the job, oldest first
      </caption>
      <thead>
        <tr>
          <th scope="col">At</th>
          <th scope="col">Event</th>
          <th scope="col">Status</th>
          <th scope="col">Message</th>
        </tr>
      </thead>
      <tbody>
        ${events.map(
          (event) =>
            html`<tr>
              <td>${formatTime(event.at)}</td>
              <td>${event.kind}</td>
              <td>${event.status === null ? '' : statusBadge(event.status)}</td>
              <td>${event.message}</td>
            </tr>`,
        )}
      </tbody>
    </table>`;
}

function errorSection(code: string, message: string, module: string): SafeHtml {
  const hint = errorHint(code, module);
  return html`<h2>Error</h2>
    <div class="error-box">
      <p><code>${code}</code>: ${message}</p>
      ${hint.meaning === null ? '' : html`<p><strong>Meaning:</strong> ${hint.meaning}</p>`}
      <p><strong>What to do:</strong> ${hint.todo}</p>
    </div>`;
}

function parseIssuesSection(detail: JobDetail): SafeHtml {
  const { count, items } = detail.parseIssues;
  return html`<h2>Parse issues (${count})</h2>
    <table>
      <caption class="visually-hidden">
        Lines the module could not take${count > items.length ? `, first ${items.length} of ${count}` : ''}
      </caption>
      <thead>
        <tr>
          <th scope="col">File</th>
          <th scope="col" class="num">Line</th>
          <th scope="col">What</th>
          <th scope="col">Text</th>
        </tr>
      </thead>
      <tbody>
        ${items.slice(0, 50).map(
          (issue) =>
            html`<tr>
              <td>${issue.file}</td>
              <td class="num">${issue.line ?? ''}</td>
              <td>${issue.what}</td>
              <td class="mono">${issue.raw ?? ''}</td>
            </tr>`,
        )}
      </tbody>
    </table>`;
}

function filesTable(job: JobRow, detail: JobDetail): SafeHtml {
  if (detail.files.length === 0) return html`<p>No staged files.</p>`;
  return html`<table>
    <caption class="visually-hidden">
      Staged originals
    </caption>
    <thead>
      <tr>
        <th scope="col">File</th>
        <th scope="col">Role</th>
        <th scope="col" class="num">Size</th>
        <th scope="col">SHA-256</th>
      </tr>
    </thead>
    <tbody>
      ${detail.files.map(
        (file) =>
          html`<tr>
            <td>
              ${
                job.inbox_purged_at === null
                  ? html`<a href="/console/jobs/${job.id}/files/${encodeURIComponent(file.name)}" download>${file.originalName ?? file.name}</a>`
                  : (file.originalName ?? file.name)
              }
            </td>
            <td>${file.role ?? ''}</td>
            <td class="num">${formatBytes(file.size)}</td>
            <td class="mono">${file.sha256.slice(0, 16)}…</td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}
