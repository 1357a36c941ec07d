import type Router from '@koa/router';
import type { Kysely } from 'kysely';
import { listConditions } from '../../db/alert-conditions-repository.js';
import { listDeliveries, type DeliveryListRow } from '../../db/alert-deliveries-repository.js';
import type { AlertConditionRow, Database } from '../../db/database-schema.js';
import { formatTime, statusBadge } from './console-format.js';
import { consolePage } from './console-layout.js';
import { pageSession } from './console-request.js';
import type { ConsoleState } from './console-session.js';
import { html, type SafeHtml } from './html.js';

const SHOWN = 50;

/**
 * GET /console/alerts: the alert conditions open now and the latest notification deliveries with
 * their outcome (attempts, last status, error), as GET /api/1.0/alerts/conditions and /deliveries
 * give them. A customer key sees its own customer's only (the service's own conditions, such as
 * disk space, are for admins).
 */
export function registerAlertsPage(router: Router<ConsoleState>, deps: { readonly db: Kysely<Database> }): void {
  router.get('/console/alerts', async (ctx) => {
    const { caller } = ctx.state;
    const customer = caller.role === 'admin' ? undefined : (caller.customer ?? '-');
    const [conditions, deliveries] = await Promise.all([
      listConditions(deps.db, { filter: { open: true, customer }, limit: SHOWN }),
      listDeliveries(deps.db, { filter: { customer }, limit: SHOWN }),
    ]);
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = consolePage({
      title: 'Alerts',
      active: 'alerts',
      session: pageSession(ctx.state),
      body: html`<h2>Open conditions</h2>
        ${conditionsTable(conditions)}
        <h2>Latest deliveries</h2>
        ${deliveriesTable(deliveries)}
        <p class="hint">Subscriptions are managed through the API (<code>/api/1.0/alerts/subscriptions</code>, docs/alerts.md).</p>`,
    });
  });
}

function conditionsTable(rows: readonly AlertConditionRow[]): SafeHtml {
  if (rows.length === 0) return html`<p>No condition is open.</p>`;
  return html`<table>
    <caption class="visually-hidden">
      Open alert conditions, newest first
    </caption>
    <thead>
      <tr>
        <th scope="col">Kind</th>
        <th scope="col">What</th>
        <th scope="col">Opened</th>
        <th scope="col">Last seen</th>
        <th scope="col" class="num">Occurrences</th>
      </tr>
    </thead>
    <tbody>
      ${rows.map(
        (row) =>
          html`<tr>
            <td><code>${row.kind}</code></td>
            <td class="mono">${row.key}</td>
            <td class="nowrap">${formatTime(row.opened_at)}</td>
            <td class="nowrap">${formatTime(row.last_seen_at)}</td>
            <td class="num">${String(row.occurrences)}</td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}

function deliveriesTable(rows: readonly DeliveryListRow[]): SafeHtml {
  if (rows.length === 0) return html`<p>Nothing was sent yet.</p>`;
  return html`<table>
    <caption class="visually-hidden">
      Notification deliveries, newest first
    </caption>
    <thead>
      <tr>
        <th scope="col">Created</th>
        <th scope="col">Notification</th>
        <th scope="col">To</th>
        <th scope="col">Outcome</th>
        <th scope="col" class="num">Attempts</th>
        <th scope="col">Last answer</th>
      </tr>
    </thead>
    <tbody>
      ${rows.map(
        (row) =>
          html`<tr>
            <td class="nowrap">${formatTime(row.created_at)}</td>
            <td><code>${row.kind}</code> ${row.state}<br /><span class="hint mono">${row.key}</span></td>
            <td class="small">${row.channel === 'email' ? (row.email ?? '') : (row.url ?? '')}</td>
            <td>${statusBadge(row.status)}${row.status === 'pending' ? html`<br /><span class="hint">next ${formatTime(row.next_attempt_at)}</span>` : ''}</td>
            <td class="num">${String(row.attempts)}</td>
            <td class="small">${row.last_status_code === null ? '' : String(row.last_status_code)} ${row.last_error ?? ''}</td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}
