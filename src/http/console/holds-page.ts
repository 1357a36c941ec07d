import type Router from '@koa/router';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/database-schema.js';
import { addHold, listHolds, releaseHold, type HoldWithCount } from '../../db/holds-repository.js';
import { holdCreateSchema } from '../admin/offboard-schemas.js';
import { forbidden, notFound } from '../http-error.js';
import { parseInput } from '../parse-input.js';
import { formField } from './console-csrf.js';
import { formatTime } from './console-format.js';
import { consolePage, csrfField, type PageSession } from './console-layout.js';
import { noticeFor, pageSession, redirectTo } from './console-request.js';
import type { ConsoleState } from './console-session.js';
import { html, type SafeHtml } from './html.js';

const SCOPE_FIELDS = [
  ['customer', 'Customer', 'bobs_burgers'],
  ['category', 'Category', 'hydrastor'],
  ['type', 'Type', 'system_report'],
  ['group', 'Group', 'grid01'],
] as const;

/**
 * GET /console/holds (admins): the holds in place with how many jobs each holds now, a form to
 * place one and a button to release one, the same actions as /api/1.0/holds and `dataprocessor
 * hold`. Held arrivals are accepted and staged as usual; a release queues them in arrival order.
 */
export function registerHoldsPage(router: Router<ConsoleState>, deps: { readonly db: Kysely<Database> }): void {
  router.get('/console/holds', async (ctx) => {
    requireAdminCaller(ctx.state);
    const holds = await listHolds(deps.db);
    const session = pageSession(ctx.state);
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = consolePage({
      title: 'Holds',
      active: 'holds',
      session,
      notice: noticeFor(ctx.query.done),
      body: html`<p>
          Jobs that match a hold are accepted and staged as usual, then wait as <code>held</code> instead of running. Releasing a hold queues them again, oldest
          arrival first.
        </p>
        ${holdsTable(holds, session)}
        <h2>Place a hold</h2>
        ${holdForm(session)}`,
    });
  });

  router.post('/console/holds', async (ctx) => {
    requireAdminCaller(ctx.state);
    const fields = Object.fromEntries(SCOPE_FIELDS.map(([name]) => [name, formField(ctx, name).trim()]).filter(([, value]) => value !== ''));
    const reason = formField(ctx, 'reason').trim();
    const body = parseInput(holdCreateSchema, { ...fields, ...(reason === '' ? {} : { reason }) }, 'body');
    const { caller } = ctx.state;
    await addHold(deps.db, { ...body, reason: body.reason ?? '', createdBy: caller.label || `key ${caller.keyId}` });
    redirectTo(ctx, '/console/holds?done=held');
  });

  router.post('/console/holds/:id/release', async (ctx) => {
    requireAdminCaller(ctx.state);
    const { caller } = ctx.state;
    const result = await releaseHold(deps.db, { id: ctx.params.id ?? '', releasedBy: caller.label || `key ${caller.keyId}` });
    if (result === undefined) throw notFound('hold');
    redirectTo(ctx, '/console/holds?done=released');
  });
}

/** Holds stop work for every customer they match: an admin's action, as in the API. */
function requireAdminCaller(state: ConsoleState): void {
  if (state.caller.role !== 'admin') throw forbidden('holds are managed with an admin key');
}

function holdsTable(holds: readonly HoldWithCount[], session: PageSession): SafeHtml {
  if (holds.length === 0) return html`<p>No hold is in place: every arrival runs.</p>`;
  return html`<table>
    <caption class="visually-hidden">
      Holds in place, oldest first
    </caption>
    <thead>
      <tr>
        <th scope="col">Matches</th>
        <th scope="col">Reason</th>
        <th scope="col">Placed</th>
        <th scope="col" class="num">Jobs held</th>
        <th scope="col"><span class="visually-hidden">Action</span></th>
      </tr>
    </thead>
    <tbody>
      ${holds.map(
        ({ hold, heldJobs }) =>
          html`<tr>
            <td class="mono">${scopeText(hold)}</td>
            <td>${hold.reason === '' ? '—' : hold.reason}</td>
            <td class="nowrap">${formatTime(hold.created_at)} by ${hold.created_by}</td>
            <td class="num">${String(heldJobs)}</td>
            <td>
              <form method="post" action="/console/holds/${hold.id}/release" aria-label="Release hold ${hold.id}">
                ${csrfField(session)}<button type="submit">Release</button>
              </form>
            </td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}

function scopeText(hold: HoldWithCount['hold']): string {
  const parts: [string, string | null][] = [
    ['customer', hold.customer],
    ['category', hold.category],
    ['type', hold.type],
    ['group', hold.group_name],
  ];
  return parts
    .filter(([, value]) => value !== null)
    .map(([name, value]) => `${name}=${value}`)
    .join(' ');
}

function holdForm(session: PageSession): SafeHtml {
  return html`<form method="post" action="/console/holds" class="filters" aria-label="Place a hold">
    ${csrfField(session)}
    ${SCOPE_FIELDS.map(
      ([name, label, example]) =>
        html`<div class="field"><label for="hold-${name}">${label}</label><input id="hold-${name}" name="${name}" placeholder="${example}" /></div>`,
    )}
    <div class="field"><label for="hold-reason">Reason</label><input id="hold-reason" name="reason" maxlength="500" placeholder="parser fix pending" /></div>
    <p class="hint">Empty fields match anything; give at least one.</p>
    <button type="submit">Hold</button>
  </form>`;
}
