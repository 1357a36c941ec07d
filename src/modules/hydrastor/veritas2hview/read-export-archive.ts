import type { ArchiveEntry, ArchiveReader } from '../../archive-reader.js';
import type { ExportFileKind } from './export-entry-kind.js';
import { basenameOfExportEntry } from './export-entry-kind.js';

export interface ExportEntry {
  readonly kind: ExportFileKind | null;
  readonly entry: ArchiveEntry;
}

/**
 * One streaming pass over the export archive (safe reading, budgets and hostile-entry checks are
 * the pipeline's reader, lent by the job's context), each entry tagged with the export file it is, or null for anything else.
 * An entry the callback does not read is drained by the reader.
 *
 * When the job is stopped (cancel, timeout, shutdown) the reader reports ARCHIVE_ABORTED; the
 * signal's own reason is rethrown instead, so the worker records the stop for what it is.
 */
export async function readExportArchive(args: {
  readonly readArchiveEntries: ArchiveReader;
  readonly archivePath: string;
  readonly signal: AbortSignal;
  readonly onEntry: (entry: ExportEntry) => Promise<void>;
}): Promise<void> {
  try {
    await args.readArchiveEntries({
      archivePath: args.archivePath,
      signal: args.signal,
      onEntry: (entry) => args.onEntry({ kind: basenameOfExportEntry(entry.path), entry }),
    });
  } catch (error) {
    args.signal.throwIfAborted();
    throw error;
  }
}
