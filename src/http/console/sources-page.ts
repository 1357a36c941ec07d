import type Router from '@koa/router';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/database-schema.js';
import { listSources, type ExpectedIntervals } from '../../db/sources-repository.js';
import { sourceView } from '../sources/sources-routes.js';
import { formatSeconds, formatTime, statusBadge } from './console-format.js';
import { consolePage } from './console-layout.js';
import { pageSession, textParam } from './console-request.js';
import type { ConsoleState } from './console-session.js';
import { html, type SafeHtml } from './html.js';

type Source = ReturnType<typeof sourceView>;

/** As GET /api/1.0/sources: more than this many rows means the filter is too wide, and the page says so. */
const MAX_SOURCES = 5000;

/** Column titles for the modules operators know by what they send. */
const MODULE_TITLES: Readonly<Record<string, string>> = {
  'hydrastor/system_report': 'Last system report',
  'hydrastor/alert': 'Last alert',
  'hydrastor/veritas2hview': 'Last export',
};

/**
 * GET /console/sources: customers → groups (grids, master servers), one column per module with the
 * last arrival, flagged silent when quieter than the module's expected interval.
 */
export function registerSourcesPage(router: Router<ConsoleState>, deps: { readonly db: Kysely<Database>; readonly intervals: ExpectedIntervals }): void {
  router.get('/console/sources', async (ctx) => {
    const { caller } = ctx.state;
    const onlySilent = textParam(ctx.query.silent) === 'true';
    const requested = caller.role === 'admin' ? textParam(ctx.query.customer) : undefined;
    const customer = caller.role === 'admin' ? requested : (caller.customer ?? '-');
    const rows = await listSources(deps.db, { filter: { customer }, limit: MAX_SOURCES + 1 });
    const now = new Date();
    const sources = rows.slice(0, MAX_SOURCES).map((row) => sourceView(row, deps.intervals, now));
    const silentCount = sources.filter((source) => source.silent).length;
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = consolePage({
      title: 'Sources',
      active: 'sources',
      session: pageSession(ctx.state),
      body: html`<p>
          The last arrival of every group (grid, master server) per module. A source is <strong>silent</strong> when it has sent nothing for longer than its
          module's expected interval (<code>sources.expectedIntervalHours</code>:
          ${
            Object.entries(deps.intervals)
              .map(([module, hours]) => `${module} ${hours} h`)
              .join(', ') || 'none configured'
          }).
        </p>
        <form class="filters" method="get" action="/console/sources" aria-label="Filter sources">
          ${caller.role === 'admin' ? html`<div class="field"><label for="sources-customer">Customer</label><input id="sources-customer" name="customer" value="${requested ?? ''}" size="18" /></div>` : ''}
          <div class="field">
            <span
              ><input type="checkbox" id="sources-silent" name="silent" value="true" ${onlySilent ? html` checked` : ''} />
              <label for="sources-silent">Only groups with a silent source</label></span
            >
          </div>
          <div class="field"><button type="submit">Show</button></div>
        </form>
        <p role="status">
          ${silentCount === 0 ? 'No silent source.' : `${silentCount} silent source${silentCount === 1 ? '' : 's'}.`}${rows.length > MAX_SOURCES ? ` Only the first ${MAX_SOURCES} sources are shown: filter by customer.` : ''}
        </p>
        ${customersSections(sources, onlySilent)}`,
    });
  });
}

function customersSections(sources: readonly Source[], onlySilent: boolean): SafeHtml {
  if (sources.length === 0) return html`<p>No source has sent anything yet.</p>`;
  const byCustomer = new Map<string, Source[]>();
  for (const source of sources) byCustomer.set(source.customer, [...(byCustomer.get(source.customer) ?? []), source]);
  return html`${[...byCustomer].map(([customer, list]) => customerSection(customer, list, onlySilent))}`;
}

function customerSection(customer: string, sources: readonly Source[], onlySilent: boolean): SafeHtml {
  const known = Object.keys(MODULE_TITLES);
  const rank = (module: string): number => (known.includes(module) ? known.indexOf(module) : known.length);
  const modules = [...new Set(sources.map((source) => `${source.category}/${source.type}`))].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  const groups = new Map<string, Map<string, Source>>();
  for (const source of sources) {
    const row = groups.get(source.group) ?? new Map<string, Source>();
    row.set(`${source.category}/${source.type}`, source);
    groups.set(source.group, row);
  }
  const shown = [...groups].filter(([, row]) => !onlySilent || [...row.values()].some((source) => source.silent));
  if (shown.length === 0) return html``;
  const id = `customer-${customer}`;
  return html`<section aria-labelledby="${id}">
    <h2 id="${id}">${customer}</h2>
    <table>
      <caption class="visually-hidden">
        Groups of ${customer} and their last arrival per module
      </caption>
      <thead>
        <tr>
          <th scope="col">Group</th>
          ${modules.map((module) => html`<th scope="col">${MODULE_TITLES[module] ?? module}</th>`)}
        </tr>
      </thead>
      <tbody>
        ${shown.map(
          ([group, row]) =>
            html`<tr${[...row.values()].some((source) => source.silent) ? html` class="silent-row"` : ''}><th scope="row">${group}</th>${modules.map((module) => sourceCell(row.get(module)))}</tr>`,
        )}
      </tbody>
    </table>
  </section>`;
}

function sourceCell(source: Source | undefined): SafeHtml {
  if (source === undefined) return html`<td class="hint">never</td>`;
  const state =
    source.expectedIntervalHours === null
      ? html`<span class="hint">no interval</span>`
      : source.silent
        ? html`${statusBadge('silent')} <span class="visually-hidden">expected every ${source.expectedIntervalHours} hours</span>`
        : html`<span class="ok">on time</span>`;
  return html`<td>
    ${state}<br /><a href="/console/jobs/${source.lastJobId}">${formatTime(source.lastReceivedAt)}</a><br /><span class="hint"
      >${formatSeconds(source.quietSeconds)} ago · ${source.arrivals} arrival${source.arrivals === 1 ? '' : 's'}</span
    >
  </td>`;
}
