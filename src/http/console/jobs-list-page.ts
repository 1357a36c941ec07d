import type Router from '@koa/router';
import type { Kysely } from 'kysely';
import { JOB_SOURCES, type Database } from '../../db/database-schema.js';
import { listJobSummaries, type JobSummaryRow } from '../../db/job-list-repository.js';
import { IngestError } from '../../core/ingest-error.js';
import { VISIBLE_JOB_STATUSES } from '../common-schemas.js';
import { jobFilterFrom, type RawJobFilter } from '../jobs/job-filter-params.js';
import { decodeCursor, encodeCursor } from '../jobs/jobs-routes.js';
import { formatTime, sourceLabel, statusBadge } from './console-format.js';
import { consolePage } from './console-layout.js';
import type { ConsoleState } from './console-session.js';
import { html, queryString, type SafeHtml } from './html.js';
import { pageSession, textParam } from './console-request.js';

export const CONSOLE_PAGE_SIZE = 50;
const FILTER_FIELDS = ['customer', 'status', 'type', 'group', 'source', 'received_since', 'received_until', 'q'] as const;
type FilterValues = Partial<Record<(typeof FILTER_FIELDS)[number], string>>;

/** GET /console/jobs: the API's filters as a form, newest first, keyset paging (no count over millions of rows). */
export function registerJobsListPage(router: Router<ConsoleState>, deps: { readonly db: Kysely<Database>; readonly moduleKeys?: readonly string[] }): void {
  router.get('/console/jobs', async (ctx) => {
    const values: FilterValues = Object.fromEntries(FILTER_FIELDS.map((name) => [name, textParam(ctx.query[name])]));
    const cursorText = textParam(ctx.query.cursor);
    let rows: JobSummaryRow[] = [];
    let problem: string | undefined;
    let next: string | null = null;
    try {
      const filter = jobFilterFrom(toRawFilter(values), ctx.state.caller);
      const after = cursorText === undefined ? undefined : decodeCursor(cursorText);
      if (filter !== undefined) rows = await listJobSummaries(deps.db, { filter, limit: CONSOLE_PAGE_SIZE + 1, ...(after === undefined ? {} : { after }) });
      const last = rows[CONSOLE_PAGE_SIZE - 1];
      if (rows.length > CONSOLE_PAGE_SIZE && last !== undefined) next = encodeCursor({ receivedAt: last.received_at, id: last.id });
      rows = rows.slice(0, CONSOLE_PAGE_SIZE);
    } catch (error) {
      // A bad filter value is the operator's to fix: say which, keep the form.
      if (!(error instanceof IngestError) || error.code !== 'BAD_REQUEST') throw error;
      problem = error.message;
    }
    const session = pageSession(ctx.state);
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = consolePage({
      title: 'Jobs',
      active: 'jobs',
      session,
      body: html`${filterForm(values, ctx.state.caller.role === 'admin', deps.moduleKeys ?? [])}
        ${problem === undefined ? '' : html`<p class="error-box" role="alert">${problem}</p>`}
        ${jobsTable(rows, ctx.state.caller.role === 'admin', cursorText !== undefined ? 'Older jobs' : 'Newest jobs')}
        <nav class="pager" aria-label="Pages">
          ${cursorText === undefined ? '' : html`<a href="/console/jobs${queryString(values)}">Newest</a>`}
          ${next === null ? html`<span class="hint">No older jobs</span>` : html`<a href="/console/jobs${queryString({ ...values, cursor: next })}" rel="next">Older →</a>`}
        </nav>`,
    });
  });
}

/** The form's times are `datetime-local` values, read as UTC (the zone the console shows). */
function toRawFilter(values: FilterValues): RawJobFilter {
  const utc = (value: string | undefined): string | undefined =>
    value !== undefined && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(value) ? `${value}Z` : value;
  return { ...values, received_since: utc(values.received_since), received_until: utc(values.received_until) };
}

/** The filter form; every control has a visible label, the status list includes the overview's "failed or timed out". */
function filterForm(values: FilterValues, admin: boolean, moduleKeys: readonly string[]): SafeHtml {
  const statuses: Array<[string, string]> = [
    ['', 'any'],
    ...VISIBLE_JOB_STATUSES.map((status): [string, string] => [status, status.replace('_', ' ')]),
    ['failed,timed_out', 'failed or timed out'],
  ];
  const sources: Array<[string, string]> = [['', 'any'], ...JOB_SOURCES.map((source): [string, string] => [source, sourceLabel(source)])];
  return html`<form class="filters" method="get" action="/console/jobs" role="search" aria-label="Filter jobs">
    ${admin ? textField('customer', 'Customer', values.customer, 'e.g. bobs_burgers') : ''} ${selectField('status', 'Status', statuses, values.status)}
    <div class="field">
      <label for="filter-type">Module</label
      ><input id="filter-type" name="type" list="module-keys" value="${values.type ?? ''}" placeholder="category/type" size="22" />
      <datalist id="module-keys">${moduleKeys.map((key) => html`<option value="${key}"></option>`)}</datalist>
    </div>
    ${textField('group', 'Group', values.group, 'grid or master server')} ${selectField('source', 'Source', sources, values.source)}
    <div class="field">
      <label for="filter-received_since">Received from (UTC)</label
      ><input id="filter-received_since" name="received_since" type="datetime-local" value="${values.received_since ?? ''}" />
    </div>
    <div class="field">
      <label for="filter-received_until">Received before (UTC)</label
      ><input id="filter-received_until" name="received_until" type="datetime-local" value="${values.received_until ?? ''}" />
    </div>
    <div class="field">
      <label for="filter-q">Search</label
      ><input
        id="filter-q"
        name="q"
        type="search"
        value="${values.q ?? ''}"
        placeholder="subject, sender, Message-ID, key, file"
        size="30"
        aria-describedby="filter-q-hint"
      /><span id="filter-q-hint" class="hint">at least 3 characters</span>
    </div>
    <div class="field"><button type="submit">Filter</button></div>
    <div class="field"><a class="button secondary" href="/console/jobs">Clear</a></div>
  </form>`;
}

function textField(name: string, label: string, value: string | undefined, placeholder: string): SafeHtml {
  return html`<div class="field">
    <label for="filter-${name}">${label}</label><input id="filter-${name}" name="${name}" value="${value ?? ''}" placeholder="${placeholder}" size="18" />
  </div>`;
}

function selectField(name: string, label: string, options: ReadonlyArray<readonly [string, string]>, value: string | undefined): SafeHtml {
  return html`<div class="field">
    <label for="filter-${name}">${label}</label
    ><select id="filter-${name}" name="${name}">
      ${options.map(([optionValue, text]) => html`<option value="${optionValue}" ${optionValue === (value ?? '') ? html` selected` : ''}>${text}</option>`)}
    </select>
  </div>`;
}

export function jobsTable(rows: readonly JobSummaryRow[], showCustomer: boolean, caption: string): SafeHtml {
  if (rows.length === 0) return html`<p>No jobs match.</p>`;
  return html`<table>
    <caption class="visually-hidden">
      ${caption}, newest first
    </caption>
    <thead>
      <tr>
        <th scope="col">Received</th>
        <th scope="col">Status</th>
        ${showCustomer ? html`<th scope="col">Customer</th>` : ''}
        <th scope="col">Module</th>
        <th scope="col">Group</th>
        <th scope="col">Source</th>
        <th scope="col">Error</th>
        <th scope="col">Job</th>
      </tr>
    </thead>
    <tbody>
      ${rows.map(
        (row) =>
          html`<tr>
            <td class="nowrap">${formatTime(row.received_at)}</td>
            <td>${statusBadge(row.status)}</td>
            ${showCustomer ? html`<td>${row.customer}</td>` : ''}
            <td>${row.category}/${row.type}</td>
            <td>${row.group_name}</td>
            <td>${sourceLabel(row.source)}</td>
            <td>${row.error_code === null ? '' : html`<code>${row.error_code}</code>`}</td>
            <td>
              <a class="mono" href="/console/jobs/${row.id}" aria-label="Job ${row.id} (${row.status}, ${row.category}/${row.type}, ${row.group_name})"
                >${row.id.slice(0, 8)}</a
              >
            </td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}
