import type { ArchiveBudgets } from './archive-budgets.js';
import { describeEntryName } from './extract-errors.js';
import { IngestError } from '../../core/ingest-error.js';

const MIB = 1024 * 1024;
const GIB = 1024 * MIB;

/** A NetBackup export of a large site is several GB; leave room without letting a bomb fill the disk. */
export const MAX_ARCHIVE_TOTAL_BYTES = 32 * GIB;
export const MAX_ARCHIVE_ENTRY_BYTES = 16 * GIB;
/** Real inputs hold about ten files; 10,000 leaves room while stopping entry-count bombs early. */
export const MAX_ARCHIVE_ENTRIES = 10_000;
/** Text exports compress about 5–20:1; deflate tops out near 1,032:1 on zeros. */
export const MAX_COMPRESSION_RATIO = 100;
/** The ratio is judged only past this much output, so tiny archives with padding never trip it. */
export const COMPRESSION_RATIO_CHECK_AFTER_BYTES = 64 * MIB;
export const MAX_PATH_DEPTH_SEGMENTS = 16;
export const MAX_PATH_BYTES = 1024;

export const DEFAULT_ARCHIVE_BUDGETS: ArchiveBudgets = Object.freeze({
  maxTotalBytes: MAX_ARCHIVE_TOTAL_BYTES,
  maxEntryBytes: MAX_ARCHIVE_ENTRY_BYTES,
  maxEntries: MAX_ARCHIVE_ENTRIES,
  maxCompressionRatio: MAX_COMPRESSION_RATIO,
  ratioCheckAfterBytes: COMPRESSION_RATIO_CHECK_AFTER_BYTES,
  maxPathDepth: MAX_PATH_DEPTH_SEGMENTS,
  maxPathBytes: MAX_PATH_BYTES,
});

/** Applies overrides to the defaults; rejects values that would silently disable a budget by mistake. */
export function resolveArchiveBudgets(overrides: Partial<ArchiveBudgets> = {}): ArchiveBudgets {
  const resolved: ArchiveBudgets = { ...DEFAULT_ARCHIVE_BUDGETS, ...overrides };
  for (const [name, value] of Object.entries(resolved)) {
    if (typeof value !== 'number' || Number.isNaN(value) || value <= 0) {
      throw new TypeError(`archive budget ${name} must be a positive number (Infinity allowed), got ${String(value)}`);
    }
  }
  return Object.freeze(resolved);
}

export type BudgetName = keyof ArchiveBudgets;

export function archiveLimitExceeded(args: {
  readonly budget: BudgetName;
  readonly limit: number;
  readonly observed: number;
  readonly message: string;
  readonly entry?: string;
}): IngestError {
  const details: Record<string, unknown> = { budget: args.budget, limit: args.limit, observed: args.observed };
  if (args.entry !== undefined) details['entry'] = args.entry;
  return new IngestError('ARCHIVE_LIMIT_EXCEEDED', args.message, { details });
}

export function formatBytes(bytes: number): string {
  if (bytes >= GIB) return `${(bytes / GIB).toFixed(bytes % GIB === 0 ? 0 : 1)} GiB`;
  if (bytes >= MIB) return `${(bytes / MIB).toFixed(bytes % MIB === 0 ? 0 : 1)} MiB`;
  return `${bytes} bytes`;
}

/**
 * Running totals of one archive read: uncompressed bytes out against compressed bytes in.
 * Throws ARCHIVE_LIMIT_EXCEEDED the moment a budget is crossed, so callers check it per chunk.
 */
export class ArchiveMeter {
  private outputBytes = 0;

  constructor(private readonly budgets: ArchiveBudgets) {}

  get totalBytes(): number {
    return this.outputBytes;
  }

  addOutput(bytes: number, compressedBytesSoFar: number): void {
    this.outputBytes += bytes;
    checkTotalAndRatio({ budgets: this.budgets, outputBytes: this.outputBytes, compressedBytes: compressedBytesSoFar });
  }
}

/** Shared by the streaming meter and the zip central-directory precheck (declared sizes). */
export function checkTotalAndRatio(args: { readonly budgets: ArchiveBudgets; readonly outputBytes: number; readonly compressedBytes: number }): void {
  const { budgets, outputBytes, compressedBytes } = args;
  if (outputBytes > budgets.maxTotalBytes) {
    throw archiveLimitExceeded({
      budget: 'maxTotalBytes',
      limit: budgets.maxTotalBytes,
      observed: outputBytes,
      message: `Archive expands to more than ${formatBytes(budgets.maxTotalBytes)} uncompressed`,
    });
  }
  if (outputBytes > budgets.ratioCheckAfterBytes) {
    const ratio = outputBytes / Math.max(compressedBytes, 1);
    if (ratio > budgets.maxCompressionRatio) {
      throw archiveLimitExceeded({
        budget: 'maxCompressionRatio',
        limit: budgets.maxCompressionRatio,
        observed: Math.round(ratio),
        message:
          `Archive compression ratio ${Math.round(ratio)}:1 exceeds ${budgets.maxCompressionRatio}:1 ` +
          `after ${formatBytes(outputBytes)} uncompressed (a decompression bomb?)`,
      });
    }
  }
}

export function checkEntrySize(args: { readonly budgets: ArchiveBudgets; readonly entryPath: string; readonly bytes: number }): void {
  const { budgets, entryPath, bytes } = args;
  if (bytes > budgets.maxEntryBytes) {
    throw archiveLimitExceeded({
      budget: 'maxEntryBytes',
      limit: budgets.maxEntryBytes,
      observed: bytes,
      entry: entryPath,
      message: `Archive entry ${describeEntryName(entryPath)} is larger than ${formatBytes(budgets.maxEntryBytes)}`,
    });
  }
}

export function checkEntryCount(budgets: ArchiveBudgets, count: number): void {
  if (count > budgets.maxEntries) {
    throw archiveLimitExceeded({
      budget: 'maxEntries',
      limit: budgets.maxEntries,
      observed: count,
      message: `Archive has more than ${budgets.maxEntries} entries`,
    });
  }
}
