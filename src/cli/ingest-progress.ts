/** Where progress goes: stderr, so that stdout keeps only the result a script reads. */
export interface ProgressOutput {
  readonly isTTY?: boolean;
  /** Terminal width; lines are cut to it so that `\r` redraws one line, never a wrapped pair. */
  readonly columns?: number;
  write(text: string): unknown;
}

/** What the job row says at a poll (status, the module's progress while it runs, rows per table once done). */
export interface JobProgressFacts {
  readonly id: string;
  readonly status: string;
  readonly progress?: unknown;
  readonly stats?: unknown;
}

/** A terminal redraw at most this often; the counters move much faster while a file is staged. */
const REDRAW_INTERVAL_MS = 100;
const CLEAR_LINE = '\r\u001b[2K';

/**
 * The progress of `ingest --wait`: on a terminal one line redrawn in place (phase, bytes staged,
 * the module's counters, rows loaded); elsewhere (a pipe, a log) one plain line whenever the
 * job's status or phase changes, never a counter tick, so that logs stay short.
 */
export class IngestProgress {
  readonly #output: ProgressOutput;
  readonly #now: () => number;
  #bytesStaged = 0;
  #job: JobProgressFacts | undefined;
  #lastDrawAt = Number.NEGATIVE_INFINITY;
  #lastPlainKey: string | undefined;
  #drawn = false;
  #ended = false;

  constructor(output: ProgressOutput, options: { readonly now?: () => number } = {}) {
    this.#output = output;
    this.#now = options.now ?? (() => performance.now());
  }

  /** The running byte count while the file is copied into the inbox. */
  staging(bytes: number): void {
    this.#bytesStaged = bytes;
    this.#show(false);
  }

  /** The job at each poll, from its staging to its end. */
  job(facts: JobProgressFacts): void {
    this.#job = facts;
    this.#show(true);
  }

  /** Ends the terminal line, so that what follows starts on its own line; once, however often called. */
  end(): void {
    if (this.#output.isTTY !== true || this.#ended) return;
    this.#ended = true;
    if (!this.#drawn) return;
    this.#draw();
    this.#output.write('\n');
  }

  #show(force: boolean): void {
    if (this.#ended) return;
    if (this.#output.isTTY === true) {
      if (force || this.#now() - this.#lastDrawAt >= REDRAW_INTERVAL_MS) this.#draw();
      return;
    }
    const key = `${this.#job?.status ?? 'staging'}|${phaseOf(this.#job?.progress) ?? ''}`;
    if (key === this.#lastPlainKey) return;
    this.#lastPlainKey = key;
    this.#output.write(`ingest: ${this.describe()}\n`);
  }

  #draw(): void {
    // A terminal that does not tell its width (0: a pseudo-terminal without a size) gets the classic 80.
    const columns = this.#output.columns !== undefined && this.#output.columns > 0 ? this.#output.columns : 80;
    this.#output.write(`${this.#drawn ? CLEAR_LINE : ''}${`ingest: ${this.describe()}`.slice(0, Math.max(20, columns - 1))}`);
    this.#drawn = true;
    this.#lastDrawAt = this.#now();
  }

  /** One line: `job <id> running (phase images, imagesRead 1200), 1.2 MiB staged` or `job <id> succeeded, 1.2 MiB staged, 345 rows loaded`. */
  describe(): string {
    const job = this.#job;
    const counters = job?.status === 'running' ? countersOf(job.progress) : undefined;
    const parts = [
      `${job === undefined ? 'staging' : `job ${job.id} ${job.status}`}${counters === undefined ? '' : ` (${counters})`}`,
      `${formatBytes(this.#bytesStaged)} staged`,
    ];
    const rows = rowsLoaded(job?.stats);
    if (rows !== undefined) parts.push(`${rows} rows loaded`);
    return parts.join(', ');
  }
}

function phaseOf(progress: unknown): string | undefined {
  const phase = (progress as { phase?: unknown } | null | undefined)?.phase;
  return typeof phase === 'string' ? phase : undefined;
}

/** A module's progress record (src/modules/types.ts reportProgress), as `phase images, imagesRead 1200`. */
function countersOf(progress: unknown): string | undefined {
  if (progress === null || typeof progress !== 'object') return undefined;
  const entries = Object.entries(progress as Record<string, unknown>).filter(([, value]) => typeof value === 'number' || typeof value === 'string');
  return entries.length === 0 ? undefined : entries.map(([name, value]) => `${name} ${String(value)}`).join(', ');
}

/** A finished job's stats are rows written per table; their sum is what the run loaded. */
function rowsLoaded(stats: unknown): number | undefined {
  if (stats === null || typeof stats !== 'object') return undefined;
  const counts = Object.values(stats as Record<string, unknown>).filter((value): value is number => typeof value === 'number');
  return counts.length === 0 ? undefined : counts.reduce((sum, count) => sum + count, 0);
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'] as const;

export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${UNITS[unit]}`;
}
