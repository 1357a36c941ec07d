import { formatBytes, formatCount, formatSeconds, sourceLabel } from './console-format.js';
import { html, type SafeHtml } from './html.js';
import { minuteChart } from './minute-chart.js';
import type { MinuteSeries, OverviewData, ServiceHealth } from './overview-data.js';

/** Okabe–Ito colours: told apart with the common colour-vision deficiencies. */
const SOURCE_COLORS: Readonly<Record<string, string>> = {
  smtp: '#0072B2',
  mailhandler: '#56B4E9',
  s3: '#E69F00',
  webhook: '#F0E442',
  api: '#009E73',
  cli: '#CC79A7',
  replay: '#D55E00',
  reconcile: '#8C6D31',
  recovery: '#000000',
};
const OUTCOME_COLORS: Readonly<Record<string, string>> = { succeeded: '#009E73', failed: '#D55E00', timed_out: '#CC79A7', cancelled: '#999999' };
const OUTCOME_ORDER = ['succeeded', 'failed', 'timed_out', 'cancelled'];
const REFRESH_SECONDS = 30;
/** A running job whose heartbeat is older than this many heartbeat periods looks stuck. */
const STUCK_HEARTBEATS = 3;

/** The overview page body: the panels (refreshed in place by console.js) inside a labelled region. */
export function overviewBody(data: OverviewData): SafeHtml {
  return html`<div class="refresh-bar">
      <button type="button" id="refresh-toggle" class="secondary" aria-pressed="false" hidden>Pause auto-refresh</button>
      <span id="refresh-status" role="status">Refreshes every ${REFRESH_SECONDS} s</span>
    </div>
    <div id="overview-panels" data-refresh-url="/console/overview/panels" data-refresh-seconds="${REFRESH_SECONDS}">${overviewPanels(data)}</div>`;
}

export function overviewPanels(data: OverviewData): SafeHtml {
  const total = (series: readonly MinuteSeries[], key?: string): number =>
    series.filter((entry) => key === undefined || entry.key === key).reduce((sum, entry) => sum + entry.total, 0);
  const arrived = total(data.arrivals);
  const failed = total(data.outcomes, 'failed') + total(data.outcomes, 'timed_out');
  const finished = total(data.outcomes);
  const rate = finished === 0 ? '—' : `${((failed / finished) * 100).toFixed(1)} %`;
  const backlog = (status: string): number => data.backlog[status] ?? 0;
  const outcomes = [...data.outcomes].sort((a, b) => OUTCOME_ORDER.indexOf(a.key) - OUTCOME_ORDER.indexOf(b.key));
  return html`<h2>Last 24 hours</h2>
    <div class="cards">
      ${card('Arrivals', formatCount(arrived), '/console/jobs')} ${card('Finished', formatCount(finished), null)}
      ${card('Failed or timed out', formatCount(failed), '/console/jobs?status=failed,timed_out')}
      ${card('Failure rate', rate, null, failed > 0 ? 'bad' : undefined)} ${card('Refused arrivals', formatCount(data.refused), '/console/refused')}
      ${card('Silent sources', formatCount(data.silentSources), '/console/sources?silent=true', data.silentSources > 0 ? 'bad' : undefined)}
    </div>
    <h2>Backlog</h2>
    <div class="cards">
      ${['queued', 'running', 'held', 'unclassified'].map((status) =>
        card(status, formatCount(backlog(status)), status === 'unclassified' ? '/console/unclassified' : `/console/jobs?status=${status}`),
      )}
    </div>
    <h2 id="arrivals-heading">Arrivals per minute, by source</h2>
    ${chartWithLegend('arrivals', data, data.arrivals, (key) => SOURCE_COLORS[key] ?? '#555555', sourceLabel, 'arrivals')}
    <h2 id="outcomes-heading">Outcomes per minute</h2>
    ${chartWithLegend(
      'outcomes',
      data,
      outcomes,
      (key) => OUTCOME_COLORS[key] ?? '#555555',
      (key) => key.replace('_', ' '),
      'jobs ended',
    )}
    ${data.health === null ? '' : healthPanel(data.health)}`;
}

function card(label: string, value: string, href: string | null, tone?: 'bad'): SafeHtml {
  const inner = html`<div class="value${tone === undefined ? '' : ` ${tone}`}">${value}</div>
    <div class="label">${label}</div>`;
  return html`<div class="card">${href === null ? inner : html`<a href="${href}" aria-label="${label}: ${value}">${inner}</a>`}</div>`;
}

function chartWithLegend(
  id: string,
  data: OverviewData,
  series: readonly MinuteSeries[],
  color: (key: string) => string,
  label: (key: string) => string,
  unit: string,
): SafeHtml {
  const sum = series.reduce((total, entry) => total + entry.total, 0);
  const described =
    series.length === 0
      ? `No ${unit} in the last 24 hours.`
      : `${formatCount(sum)} ${unit} in 24 hours: ${series.map((entry) => `${label(entry.key)} ${formatCount(entry.total)}`).join(', ')}.`;
  return html`${minuteChart({
      id: `${id}-chart`,
      title: `${unit[0]?.toUpperCase() ?? ''}${unit.slice(1)} per minute over the last 24 hours (UTC)`,
      description: described,
      start: data.start,
      series: series.map((entry) => ({ name: label(entry.key), color: color(entry.key), counts: entry.counts })),
    })}
    <ul class="legend" aria-label="Legend and totals">
      ${series.length === 0 ? html`<li>None in the last 24 hours</li>` : series.map((entry) => html`<li>${swatch(color(entry.key))}${label(entry.key)}: ${formatCount(entry.total)}</li>`)}
    </ul>`;
}

/** A legend colour as a tiny SVG (presentation attributes, so no inline style is needed under the CSP). */
function swatch(color: string): SafeHtml {
  return html`<svg class="swatch" aria-hidden="true" width="12" height="12" viewBox="0 0 12 12" focusable="false">
    <rect width="12" height="12" fill="${color}" />
  </svg>`;
}

function healthPanel(health: ServiceHealth): SafeHtml {
  const free = health.dataRoot.freeBytes;
  const diskLow = free !== undefined && free < health.warnFreeBytes;
  const stuck = health.oldestHeartbeatSeconds !== null && health.oldestHeartbeatSeconds > STUCK_HEARTBEATS * health.heartbeatSeconds;
  const rows: Array<[string, boolean, string]> = [
    ['Database', health.databaseError === null, health.databaseError ?? `answers in ${health.databaseMs ?? '?'} ms`],
    [
      'Disk (data root)',
      health.dataRoot.ok && !diskLow,
      health.dataRoot.ok
        ? `${formatBytes(free)} free${diskLow ? ` — below the warning of ${formatBytes(health.warnFreeBytes)}: free space before mail is refused` : ''}`
        : (health.dataRoot.reason ?? 'not writable'),
    ],
    ...health.listeners.map((listener): [string, boolean, string] => [`Listener: ${listener.name}`, listener.up, listener.up ? 'listening' : 'not listening']),
    [
      'Spool',
      !health.spool.enabled || (health.spool.lockHeld && health.spool.backlog < 1000),
      health.spool.enabled ? `${formatCount(health.spool.backlog)} acknowledged without folder; lock ${health.spool.lockHeld ? 'held' : 'NOT held'}` : 'off',
    ],
    [
      'Queue',
      health.oldestReadySeconds === null || health.oldestReadySeconds < 300,
      health.oldestReadySeconds === null ? 'no job waiting' : `oldest ready job waits ${formatSeconds(health.oldestReadySeconds)}`,
    ],
    [
      'Workers',
      !stuck,
      health.oldestHeartbeatSeconds === null ? 'no job running' : `oldest heartbeat of a running job: ${formatSeconds(health.oldestHeartbeatSeconds)} ago`,
    ],
  ];
  return html`<h2>Service health</h2>
    <table>
      <caption class="visually-hidden">
        Service health checks
      </caption>
      <thead>
        <tr>
          <th scope="col">Check</th>
          <th scope="col">State</th>
          <th scope="col">Detail</th>
        </tr>
      </thead>
      <tbody>
        ${rows.map(
          ([name, ok, detail]) =>
            html`<tr>
              <th scope="row">${name}</th>
              <td class="${ok ? 'ok' : 'bad'}">${ok ? 'OK' : 'Attention'}</td>
              <td>${detail}</td>
            </tr>`,
        )}
      </tbody>
    </table>`;
}
