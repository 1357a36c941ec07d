import { loadavg } from 'node:os';

/** One line of the harness table: a measurement of ours beside its reference, and the target. */
export interface BenchRow {
  /** `1. SMTP durable acceptance (-d)` etc. */
  readonly name: string;
  /** The reference command or figure, as run. */
  readonly reference: string;
  readonly referenceValue: number | null;
  readonly oursValue: number | null;
  /** `msg/s`, `s`, `ms`… of both values. */
  readonly unit: string;
  /** ours ÷ reference when higher is better, reference ÷ ours when lower is better (so > 1 is always "ours is better"). */
  readonly ratio: number | null;
  readonly target: string;
  /** null: not measured (placeholder) or no target for this row. */
  readonly met: boolean | null;
  readonly peakRssMiB: number | null;
  /** 1-minute load average when the row was measured (other work on the box skews figures). */
  readonly load: number;
  readonly notes: string;
}

export function currentLoad(): number {
  return Math.round((loadavg()[0] ?? 0) * 100) / 100;
}

/** A row for something that could not be measured, saying why. */
export function placeholderRow(args: { readonly name: string; readonly reference: string; readonly target: string; readonly why: string }): BenchRow {
  return {
    name: args.name,
    reference: args.reference,
    referenceValue: null,
    oursValue: null,
    unit: '',
    ratio: null,
    target: args.target,
    met: null,
    peakRssMiB: null,
    load: currentLoad(),
    notes: args.why,
  };
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** The value at quantile `q` (0..1) of an already sorted list (nearest rank). */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

function formatNumber(value: number | null): string {
  if (value === null || Number.isNaN(value)) return '—';
  if (Math.abs(value) >= 100) return Math.round(value).toLocaleString('en');
  return value.toFixed(Math.abs(value) >= 10 ? 1 : 2);
}

/** The harness table, as Markdown (also readable in a terminal). */
export function formatTable(rows: readonly BenchRow[]): string {
  const header = ['benchmark', 'reference', 'ref', 'ours', 'unit', 'ratio', 'target', 'met', 'peak RSS', 'load', 'notes'];
  const lines = rows.map((row) =>
    [
      row.name,
      row.reference,
      formatNumber(row.referenceValue),
      formatNumber(row.oursValue),
      row.unit,
      row.ratio === null ? '—' : `${row.ratio.toFixed(2)}×`,
      row.target,
      row.met === null ? '—' : row.met ? 'met' : '**not met**',
      row.peakRssMiB === null ? '—' : `${row.peakRssMiB} MiB`,
      row.load.toFixed(2),
      row.notes,
    ].map((cell) => cell.replaceAll('|', '\\|')),
  );
  return [header, header.map(() => '---'), ...lines].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}
