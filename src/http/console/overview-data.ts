import type { ApiKeyIdentity } from '../../db/api-keys-repository.js';
import {
  countArrivalsPerMinute,
  countBacklog,
  countOutcomesPerMinute,
  countRefusedSince,
  queueAges,
  type MinuteCount,
} from '../../db/console-overview-repository.js';
import { pingDatabase } from '../../db/health-repository.js';
import { countSilentSources } from '../../db/sources-repository.js';
import type { Metrics } from '../../metrics/metrics.js';
import { checkDataRoot } from '../../pipeline/check-data-root.js';
import type { AppDeps, ListenerStatus } from '../app-deps.js';

export const WINDOW_MINUTES = 24 * 60;
const PING_TIMEOUT_MS = 2_000;

export interface MinuteSeries {
  readonly key: string;
  readonly counts: number[];
  readonly total: number;
}

/** Service-wide health: shown to admin keys only (it is nobody's data, but not a customer's business either). */
export interface ServiceHealth {
  readonly databaseMs: number | null;
  readonly databaseError: string | null;
  readonly dataRoot: { readonly ok: boolean; readonly reason?: string | undefined; readonly freeBytes?: number | undefined };
  readonly warnFreeBytes: number;
  readonly listeners: readonly ListenerStatus[];
  readonly spool: { readonly enabled: boolean; readonly backlog: number; readonly lockHeld: boolean };
  readonly oldestReadySeconds: number | null;
  readonly oldestHeartbeatSeconds: number | null;
  readonly heartbeatSeconds: number;
}

export interface OverviewData {
  readonly start: Date;
  readonly arrivals: readonly MinuteSeries[];
  readonly outcomes: readonly MinuteSeries[];
  readonly backlog: Readonly<Record<string, number>>;
  readonly silentSources: number;
  readonly refused: number;
  readonly health: ServiceHealth | null;
}

/** Everything the overview shows, scoped to a customer key's own customer; the queries run side by side. */
export async function loadOverview(deps: AppDeps, metrics: Metrics, caller: ApiKeyIdentity, now = new Date()): Promise<OverviewData> {
  const { db, config } = deps;
  // Whole minutes: the last bucket is the current minute, the first one starts 24 h before it.
  const start = new Date(Math.floor(now.getTime() / 60_000) * 60_000 - (WINDOW_MINUTES - 1) * 60_000);
  const customer = caller.role === 'admin' ? undefined : (caller.customer ?? '-');
  const window = { since: start, customer };
  const [arrivals, outcomes, backlog, silent, refused, health] = await Promise.all([
    countArrivalsPerMinute(db, window),
    countOutcomesPerMinute(db, window),
    countBacklog(db, { customer }),
    countSilentSources(db, config.sources.expectedIntervalHours),
    countRefusedSince(db, window),
    caller.role === 'admin' ? loadHealth(deps, metrics) : Promise.resolve(null),
  ]);
  return {
    start,
    arrivals: toSeries(arrivals, start),
    outcomes: toSeries(outcomes, start),
    backlog,
    silentSources: silent.filter((row) => customer === undefined || row.customer === customer).reduce((sum, row) => sum + row.count, 0),
    refused,
    health,
  };
}

/** Rows of (minute, key, count) as one array of WINDOW_MINUTES counts per key, busiest key first. */
export function toSeries(rows: readonly MinuteCount[], start: Date): MinuteSeries[] {
  const byKey = new Map<string, number[]>();
  for (const row of rows) {
    const index = Math.round((row.minute.getTime() - start.getTime()) / 60_000);
    if (index < 0 || index >= WINDOW_MINUTES) continue;
    let counts = byKey.get(row.key);
    if (counts === undefined) byKey.set(row.key, (counts = new Array<number>(WINDOW_MINUTES).fill(0)));
    counts[index] = (counts[index] ?? 0) + row.count;
  }
  return [...byKey]
    .map(([key, counts]) => ({ key, counts, total: counts.reduce((sum, count) => sum + count, 0) }))
    .sort((a, b) => b.total - a.total || a.key.localeCompare(b.key));
}

async function loadHealth(deps: AppDeps, metrics: Metrics): Promise<ServiceHealth> {
  const { db, config } = deps;
  const pingStarted = performance.now();
  const [databaseError, dataRoot, ages, backlog, lockHeld] = await Promise.all([
    pingDatabase(db, PING_TIMEOUT_MS).then(
      () => null,
      (error: unknown) => (error as Error).message,
    ),
    checkDataRoot({ dataRoot: config.dataRoot }).catch((error: unknown) => ({ ok: false, reason: (error as Error).message, freeBytes: undefined })),
    queueAges(db),
    gaugeValue(metrics, 'dataprocessor_spool_backlog'),
    gaugeValue(metrics, 'dataprocessor_spool_lock_held'),
  ]);
  return {
    databaseMs: databaseError === null ? Math.round(performance.now() - pingStarted) : null,
    databaseError,
    dataRoot,
    warnFreeBytes: config.disk.warnFreeBytes,
    listeners: deps.listeners?.() ?? [],
    spool: { enabled: config.spool.enabled, backlog, lockHeld: lockHeld === 1 },
    ...ages,
    heartbeatSeconds: config.worker.heartbeatSeconds,
  };
}

/** The spool reports through its Prometheus gauges (read at scrape time), so the console reads them there too. */
async function gaugeValue(metrics: Metrics, name: string): Promise<number> {
  const metric = metrics.registry.getSingleMetric(name);
  if (metric === undefined) return 0;
  const value = await metric.get();
  return value.values[0]?.value ?? 0;
}
