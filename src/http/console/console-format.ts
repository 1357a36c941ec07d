import { html, type SafeHtml } from './html.js';

/** Times shown in UTC, the zone of every log line and API answer. */
export function formatTime(at: Date | string | null | undefined): string {
  if (at === null || at === undefined) return '—';
  const date = typeof at === 'string' ? new Date(at) : at;
  return Number.isNaN(date.getTime()) ? '—' : `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

/** "3 min", "26 h", "9 d": how long ago or how long, to the unit an operator thinks in. */
export function formatSeconds(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return '—';
  if (seconds < 120) return `${Math.round(seconds)} s`;
  if (seconds < 2 * 3600) return `${Math.round(seconds / 60)} min`;
  if (seconds < 3 * 86400) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86400)} d`;
}

export function formatCount(value: number): string {
  return value.toLocaleString('en');
}

export function statusBadge(status: string): SafeHtml {
  return html`<span class="status status-${status}">${status.replace('_', ' ')}</span>`;
}

/** How each job source is named on screen (job.source values; an unknown one shows as it is). */
export const SOURCE_LABELS: Readonly<Record<string, string>> = {
  smtp: 'SMTP',
  mailhandler: 'mailhandler',
  s3: 'S3/SQS',
  webhook: 'S3 webhook',
  api: 'API / upload',
  cli: 'CLI',
  replay: 'replay',
  reconcile: 'S3 reconcile',
  recovery: 'recovery',
};

export function sourceLabel(source: string): string {
  return SOURCE_LABELS[source] ?? source;
}
