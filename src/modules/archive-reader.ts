import type { Readable } from 'node:stream';

/**
 * The pipeline's safe archive reader (.tar.gz/.tgz, .zip), as a module sees it through its
 * context. Declared here, by shape, so a module depends on what it uses and never imports the
 * pipeline (kysely's habit: the core declares the interface it needs).
 */
export interface ArchiveReader {
  /**
   * Streams every regular file of the archive to `onEntry`, one at a time, in archive order;
   * writes nothing to disk. Hostile entries (links, `..`, absolute paths) and budgets past their
   * limit reject with ARCHIVE_* codes. The format is told by the bytes, never by the name.
   */
  (args: ReadArchiveArgs): Promise<unknown>;
}

export interface ReadArchiveArgs {
  readonly archivePath: string;
  /** Tighter limits than the pipeline's defaults (uncompressed bytes, per entry, entry count). */
  readonly budgets?: { readonly maxTotalBytes?: number; readonly maxEntryBytes?: number; readonly maxEntries?: number };
  readonly signal?: AbortSignal;
  readonly onEntry: (entry: ArchiveEntry) => Promise<void>;
}

/** One regular file of the archive. */
export interface ArchiveEntry {
  /** Normalized relative POSIX path (no `..`, never absolute). */
  readonly path: string;
  readonly size: number;
  /** The entry's bytes; an entry not read to the end is drained by the reader. */
  readonly stream: Readable;
}
