import type { Readable } from 'node:stream';
import type { ArchiveBudgets } from './archive-budgets.js';

export type ArchiveType = 'tar.gz' | 'zip';

/**
 * Why an entry was not delivered. A closed vocabulary, so job records and tests can rely on it.
 * Every skipped entry is reported; by default any of them fails the whole read.
 */
export type SkipReason =
  | 'empty-name'
  | 'control-character'
  | 'absolute-path'
  | 'drive-letter'
  | 'parent-traversal'
  | 'path-too-deep'
  | 'path-too-long'
  | 'name-too-long'
  | 'duplicate-path'
  | 'path-conflict'
  | 'symlink'
  | 'hardlink'
  | 'device'
  | 'fifo'
  | 'socket'
  | 'unsupported-type'
  | 'encrypted'
  | 'unsupported-compression';

export interface SkippedEntry {
  /** The entry name as stored in the archive (JSON-escape it before display). */
  readonly name: string;
  readonly reason: SkipReason;
}

/** What the caller's `onEntry` receives for each regular file, in archive order. */
export interface ArchiveEntry {
  /** Normalized relative POSIX path (no `.`/empty segments, no `..`, never absolute). */
  readonly path: string;
  /** Size declared by the archive header; the stream is held to it (and to the budgets). */
  readonly size: number;
  /**
   * The entry's bytes. Read it to the end or stop early by returning: the rest is drained
   * (still counted against the budgets). It errors if a budget or integrity check fails.
   */
  readonly stream: Readable;
}

/**
 * `fail` (default): any skipped entry fails the call with ARCHIVE_UNSAFE_ENTRIES listing all of
 * them. `skip`: skipped entries are only reported in the result.
 */
export type UnsafeEntryPolicy = 'fail' | 'skip';

export interface ReadArchiveArgs {
  readonly archivePath: string;
  /** Overrides of DEFAULT_ARCHIVE_BUDGETS. */
  readonly budgets?: Partial<ArchiveBudgets>;
  readonly signal?: AbortSignal;
  readonly unsafeEntries?: UnsafeEntryPolicy;
  readonly onEntry: (entry: ArchiveEntry) => Promise<void>;
}

export interface DeliveredEntry {
  readonly path: string;
  /** Bytes actually read (equals the declared size for a sound archive). */
  readonly size: number;
}

export interface ReadArchiveResult {
  readonly type: ArchiveType;
  readonly entries: readonly DeliveredEntry[];
  readonly skipped: readonly SkippedEntry[];
}

/** The resolved arguments every format reader gets. */
export interface FormatReaderArgs {
  readonly archivePath: string;
  readonly budgets: ArchiveBudgets;
  readonly signal: AbortSignal | undefined;
  readonly unsafeEntries: UnsafeEntryPolicy;
  readonly onEntry: (entry: ArchiveEntry) => Promise<void>;
}
