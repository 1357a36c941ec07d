import { median } from './bench-result.js';

/** A gauge's value in the Prometheus text format (the first series of that name). */
export function gaugeValue(text: string, name: string): number | undefined {
  const match = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.eE+-]+)$`, 'm').exec(text);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

export interface MetricsScraper {
  /** Stops scraping; per gauge, the values of every scrape after the first. */
  stop(): Promise<Record<string, number[]>>;
}

/**
 * Scrapes the service's GET /metrics every `intervalMs` and keeps the given gauges. The first
 * scrape is dropped: prom-client's event-loop histogram resets at every scrape, so the first one
 * covers everything since the previous scraper (start-up, another phase).
 */
export function scrapeMetrics(args: { readonly httpUrl: string; readonly intervalMs: number; readonly gauges: readonly string[] }): MetricsScraper {
  const values: Record<string, number[]> = Object.fromEntries(args.gauges.map((name) => [name, []]));
  let running = true;
  const read = (): Promise<string> =>
    fetch(`${args.httpUrl}/metrics`)
      .then((response) => response.text())
      .catch(() => '');
  const loop = (async () => {
    await read();
    while (running) {
      await new Promise((resolve) => setTimeout(resolve, args.intervalMs));
      const text = await read();
      for (const name of args.gauges) {
        const value = gaugeValue(text, name);
        if (value !== undefined) values[name]?.push(value);
      }
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return values;
    },
  };
}

export interface LagSummary {
  readonly windows: number;
  /** The worst window's p99: the figure compared with the target (stricter than one p99 over the whole run). */
  readonly worstP99Ms: number;
  readonly medianP99Ms: number;
  readonly maxMs: number;
}

const LAG_P99 = 'nodejs_eventloop_lag_p99_seconds';
const LAG_MAX = 'nodejs_eventloop_lag_max_seconds';

/** prom-client's event-loop delay (monitorEventLoopDelay, 10 ms resolution), one window per scrape. */
export function scrapeEventLoopLag(args: { readonly httpUrl: string; readonly intervalMs: number }): { stop(): Promise<LagSummary> } {
  const scraper = scrapeMetrics({ ...args, gauges: [LAG_P99, LAG_MAX] });
  return {
    async stop() {
      const values = await scraper.stop();
      const p99 = (values[LAG_P99] ?? []).map((seconds) => seconds * 1000);
      const max = (values[LAG_MAX] ?? []).map((seconds) => seconds * 1000);
      return { windows: p99.length, worstP99Ms: Math.max(0, ...p99), medianP99Ms: median(p99), maxMs: Math.max(0, ...max) };
    },
  };
}

export const MEMORY_GAUGES = [
  'process_resident_memory_bytes',
  'nodejs_heap_size_used_bytes',
  'nodejs_heap_size_total_bytes',
  'nodejs_external_memory_bytes',
] as const;

/** The largest value of each memory gauge, in MiB: where a peak RSS went (JS heap, external buffers, the rest). */
export function memoryPeaks(values: Record<string, number[]>): string {
  return MEMORY_GAUGES.map(
    (name) => `${name.replace(/^(process|nodejs)_/, '').replace(/_bytes$/, '')} ${Math.round(Math.max(0, ...(values[name] ?? [])) / 1024 ** 2)} MiB`,
  ).join(', ');
}
