import type Router from '@koa/router';
import type { Kysely } from 'kysely';
import type { Database, RefusedArrivalRow } from '../../db/database-schema.js';
import { listRefusedArrivals } from '../../db/refused-arrivals-repository.js';
import { parseInput } from '../parse-input.js';
import { REFUSED_PAGE_SIZE, refusedQuerySchema } from '../refused/refused-schemas.js';
import { IngestError } from '../../core/ingest-error.js';
import { formatBytes, formatTime, sourceLabel } from './console-format.js';
import { consolePage } from './console-layout.js';
import { pageSession, textParam } from './console-request.js';
import type { ConsoleState } from './console-session.js';
import { html, queryString, type SafeHtml } from './html.js';

const FIELDS = ['customer', 'source', 'code', 'q', 'since', 'until'] as const;
type Values = Partial<Record<(typeof FIELDS)[number] | 'before', string>>;

/**
 * GET /console/refused: arrivals that never became jobs (SMTP refusals, unroutable S3 events),
 * searchable: "why didn't grid X's mail arrive?". Scoped like GET /api/1.0/refused: a customer
 * key sees the refusals meant for its customer; refusals of no customer are for admins.
 */
export function registerRefusedPage(router: Router<ConsoleState>, deps: { readonly db: Kysely<Database> }): void {
  router.get('/console/refused', async (ctx) => {
    const { caller } = ctx.state;
    const values: Values = Object.fromEntries([...FIELDS, 'before'].map((name) => [name, textParam(ctx.query[name])]));
    let rows: RefusedArrivalRow[] = [];
    let problem: string | undefined;
    try {
      const utc = (value: string | undefined): string | undefined => (value !== undefined && /T\d{2}:\d{2}(:\d{2})?$/.test(value) ? `${value}Z` : value);
      const query = parseInput(refusedQuerySchema, { ...values, since: utc(values.since), until: utc(values.until) }, 'query');
      const foreign = caller.role !== 'admin' && query.customer !== undefined && query.customer !== caller.customer;
      rows = foreign
        ? []
        : await listRefusedArrivals(deps.db, {
            filter: {
              customer: caller.role === 'admin' ? query.customer : (caller.customer ?? '-'),
              source: query.source,
              code: query.code,
              q: query.q,
              since: query.since === undefined ? undefined : new Date(query.since),
              until: query.until === undefined ? undefined : new Date(query.until),
            },
            limit: REFUSED_PAGE_SIZE + 1,
            before: query.before,
          });
    } catch (error) {
      if (!(error instanceof IngestError) || error.code !== 'BAD_REQUEST') throw error;
      problem = error.message;
    }
    const page = rows.slice(0, REFUSED_PAGE_SIZE);
    const next = rows.length > REFUSED_PAGE_SIZE ? (page.at(-1)?.id ?? null) : null;
    const { before: _before, ...filters } = values;
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = consolePage({
      title: 'Refused arrivals',
      active: 'refused',
      session: pageSession(ctx.state),
      body: html`${filterForm(filters, caller.role === 'admin')} ${problem === undefined ? '' : html`<p class="error-box" role="alert">${problem}</p>`}
        ${refusedTable(page, caller.role === 'admin')}
        <nav class="pager" aria-label="Pages">
          ${values.before === undefined ? '' : html`<a href="/console/refused${queryString(filters)}">Newest</a>`}${
            next === null ? '' : html`<a href="/console/refused${queryString({ ...filters, before: String(next) })}" rel="next">Older →</a>`
          }
        </nav>`,
    });
  });
}

function filterForm(values: Values, admin: boolean): SafeHtml {
  const field = (name: string, label: string, extra: SafeHtml = html``): SafeHtml =>
    html`<div class="field">
      <label for="refused-${name}">${label}</label><input id="refused-${name}" name="${name}" value="${values[name as keyof Values] ?? ''}" ${extra} />
    </div>`;
  return html`<form class="filters" method="get" action="/console/refused" role="search" aria-label="Search refused arrivals">
    ${admin ? field('customer', 'Customer') : ''}
    <div class="field">
      <label for="refused-source">Source</label
      ><select id="refused-source" name="source">
        ${['', 'smtp', 'mailhandler', 's3', 'webhook'].map(
          (source) =>
            html`<option value="${source}" ${source === (values.source ?? '') ? html` selected` : ''}>${source === '' ? 'any' : sourceLabel(source)}</option>`,
        )}
      </select>
    </div>
    ${field('code', 'Code', html` placeholder="e.g. SENDER_NOT_ALLOWED" size="22"`)}
    ${field('q', 'Search', html` type="search" placeholder="sender, recipient, client address, message" size="30"`)}
    ${field('since', 'From (UTC)', html` type="datetime-local"`)} ${field('until', 'Before (UTC)', html` type="datetime-local"`)}
    <div class="field"><button type="submit">Search</button></div>
    <div class="field"><a class="button secondary" href="/console/refused">Clear</a></div>
  </form>`;
}

function refusedTable(rows: readonly RefusedArrivalRow[], admin: boolean): SafeHtml {
  if (rows.length === 0) return html`<p>No refused arrival matches.</p>`;
  return html`<table>
    <caption class="visually-hidden">
      Refused arrivals, newest first
    </caption>
    <thead>
      <tr>
        <th scope="col">At</th>
        <th scope="col">Source, stage</th>
        <th scope="col">Code</th>
        ${admin ? html`<th scope="col">Customer</th>` : ''}
        <th scope="col">Sender</th>
        <th scope="col">Recipients</th>
        <th scope="col">Client</th>
        <th scope="col" class="num">Size</th>
        <th scope="col">Reply</th>
      </tr>
    </thead>
    <tbody>
      ${rows.map(
        (row) =>
          html`<tr>
            <td class="nowrap">${formatTime(row.at)}</td>
            <td>${sourceLabel(row.source)}<br /><span class="hint">${row.stage}</span></td>
            <td><code>${row.code}</code><br /><span class="hint">${row.message}</span></td>
            ${admin ? html`<td>${row.customer ?? '—'}</td>` : ''}
            <td>${row.sender ?? '—'}</td>
            <td>${row.recipients.join(', ') || '—'}</td>
            <td class="mono">${row.client_address ?? ''}${row.client_name === null ? '' : html`<br />${row.client_name}`}</td>
            <td class="num">${row.size_bytes === null ? '—' : formatBytes(Number(row.size_bytes))}</td>
            <td class="small">${row.reply}</td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}
