import { html, raw, type SafeHtml } from './html.js';

export interface ChartSeries {
  readonly name: string;
  readonly color: string;
  /** One count per minute, oldest first. */
  readonly counts: readonly number[];
}

const WIDTH = 1200;
const HEIGHT = 220;
const PLOT = { left: 48, top: 10, right: 10, bottom: 26 } as const;
const PLOT_HEIGHT = 100;
const TICK_HOURS = 3;

/**
 * A stacked per-minute area chart as inline SVG, drawn on the server: no chart library and no
 * script. The plot is a nested SVG whose x unit is one minute (stretched to the width), each
 * series one closed step path of `h`/`V` commands, so a day of minutes stays a few kB per series
 * (runs of equal counts collapse). Text sits in the outer SVG, so it is never stretched. The
 * chart is an image with a title and a description; the page gives the numbers as a table too.
 */
export function minuteChart(args: {
  readonly id: string;
  readonly title: string;
  readonly description: string;
  readonly start: Date;
  readonly series: readonly ChartSeries[];
}): SafeHtml {
  const minutes = Math.max(1, ...args.series.map((series) => series.counts.length));
  const totals = Array.from({ length: minutes }, (_, minute) => args.series.reduce((sum, series) => sum + (series.counts[minute] ?? 0), 0));
  const peak = Math.max(1, ...totals);
  const scale = PLOT_HEIGHT / niceCeiling(peak);
  const below = new Array<number>(minutes).fill(0);
  const paths = args.series.map((series) => {
    const top = below.map((base, minute) => base + (series.counts[minute] ?? 0));
    top.forEach((value, minute) => (below[minute] = value));
    // The stack up to this series, closed at the axis; drawn from the tallest down, each series
    // shows as the band between its top and the next one's.
    return { series, d: `M0 ${PLOT_HEIGHT}${stepLine(top, scale)}V${PLOT_HEIGHT}H0Z` };
  });
  const plotWidth = WIDTH - PLOT.left - PLOT.right;
  const plotHeight = HEIGHT - PLOT.top - PLOT.bottom;
  const ticks = timeTicks(args.start, minutes).map(
    ({ minute, label }) =>
      html`<line
          x1="${PLOT.left + (minute / minutes) * plotWidth}"
          x2="${PLOT.left + (minute / minutes) * plotWidth}"
          y1="${PLOT.top}"
          y2="${PLOT.top + plotHeight}"
          stroke="#d0d7de"
          stroke-width="1"
        /><text x="${PLOT.left + (minute / minutes) * plotWidth}" y="${HEIGHT - 8}" font-size="12" text-anchor="middle" fill="#57606a">${label}</text>`,
  );
  return html`<svg
    id="${args.id}"
    class="chart"
    role="img"
    aria-labelledby="${args.id}-title ${args.id}-desc"
    viewBox="0 0 ${WIDTH} ${HEIGHT}"
    xmlns="http://www.w3.org/2000/svg"
  >
    <title id="${args.id}-title">${args.title}</title>
    <desc id="${args.id}-desc">${args.description}</desc>
    ${ticks}
    <text x="${PLOT.left - 6}" y="${PLOT.top + 10}" font-size="12" text-anchor="end" fill="#57606a">${niceCeiling(peak)}</text>
    <text x="${PLOT.left - 6}" y="${PLOT.top + plotHeight}" font-size="12" text-anchor="end" fill="#57606a">0</text>
    <svg x="${PLOT.left}" y="${PLOT.top}" width="${plotWidth}" height="${plotHeight}" viewBox="0 0 ${minutes} ${PLOT_HEIGHT}" preserveAspectRatio="none">
      ${[...paths].reverse().map(({ series, d }) => html`<path d="${raw(d)}" fill="${series.color}"><title>${series.name}</title></path>`)}
    </svg>
    <line x1="${PLOT.left}" x2="${PLOT.left + plotWidth}" y1="${PLOT.top + plotHeight}" y2="${PLOT.top + plotHeight}" stroke="#57606a" stroke-width="1" />
  </svg>`;
}

function y(value: number, scale: number): number {
  return Math.round((PLOT_HEIGHT - value * scale) * 10) / 10;
}

/** `V<y>h<n>` for each run of equal values, left to right. */
function stepLine(values: readonly number[], scale: number): string {
  let out = '';
  let run = 0;
  let current = Number.NaN;
  for (const value of values) {
    if (value === current) {
      run += 1;
      continue;
    }
    if (run > 0) out += `h${run}`;
    current = value;
    out += `V${y(value, scale)}`;
    run = 1;
  }
  if (run > 0) out += `h${run}`;
  return out;
}

/** 1, 2 or 5 times a power of ten at or above the value: a y-axis label people can read. */
export function niceCeiling(value: number): number {
  const power = 10 ** Math.floor(Math.log10(Math.max(1, value)));
  for (const factor of [1, 2, 5, 10]) if (factor * power >= value) return factor * power;
  return 10 * power;
}

/** A tick at every TICK_HOURS-th full hour (UTC) inside the window. */
function timeTicks(start: Date, minutes: number): Array<{ minute: number; label: string }> {
  const ticks: Array<{ minute: number; label: string }> = [];
  const first = new Date(start);
  first.setUTCMinutes(0, 0, 0);
  for (let at = first.getTime(); at <= start.getTime() + minutes * 60_000; at += 60 * 60_000) {
    const minute = (at - start.getTime()) / 60_000;
    const hour = new Date(at).getUTCHours();
    if (minute <= 0 || minute >= minutes || hour % TICK_HOURS !== 0) continue;
    ticks.push({ minute, label: `${String(hour).padStart(2, '0')}:00` });
  }
  return ticks;
}
