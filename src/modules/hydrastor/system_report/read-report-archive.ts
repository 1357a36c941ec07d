import path from 'node:path';
import type { ArchiveReader, ReadArchiveArgs } from '../../archive-reader.js';
import { IngestError, toIngestError } from '../../../core/ingest-error.js';
import { REPORT_FILES } from './system-report-columns.js';

const MIB = 1024 * 1024;
/** A report attachment is a few KiB of CSV; these budgets leave a large grid room and stop a bomb early. */
export const REPORT_ARCHIVE_BUDGETS: NonNullable<ReadArchiveArgs['budgets']> = Object.freeze({
  maxTotalBytes: 256 * MIB,
  maxEntryBytes: 64 * MIB,
  maxEntries: 1000,
});

const REPORT_FILE_NAMES: ReadonlySet<string> = new Set(Object.values(REPORT_FILES));

function isReportFile(entryPath: string): boolean {
  return REPORT_FILE_NAMES.has(path.posix.basename(entryPath).toLowerCase());
}

/**
 * Reads a report attachment (.tar.gz/.tgz/.zip, told apart by its bytes; with or without a
 * top-level folder) through the pipeline's safe archive reader (the job's context lends it), straight into memory: entry path
 * → UTF-8 text, the shape parseSystemReportFiles takes. Unknown entries are listed with empty
 * text (so the report says they were ignored) and never buffered. Errors name the attachment.
 */
export async function readReportArchive(args: {
  readonly readArchiveEntries: ArchiveReader;
  readonly archivePath: string;
  /** The attachment's file name as the sender gave it (already cleaned by the transport). */
  readonly displayName: string;
  readonly signal?: AbortSignal;
}): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  try {
    await args.readArchiveEntries({
      archivePath: args.archivePath,
      budgets: REPORT_ARCHIVE_BUDGETS,
      ...(args.signal === undefined ? {} : { signal: args.signal }),
      onEntry: async (entry) => {
        if (!isReportFile(entry.path)) {
          files.set(entry.path, '');
          return;
        }
        const chunks: Buffer[] = [];
        for await (const chunk of entry.stream) chunks.push(chunk as Buffer);
        files.set(entry.path, Buffer.concat(chunks).toString('utf8'));
      },
    });
  } catch (error) {
    const cause = toIngestError(error);
    throw new IngestError(cause.code, `System report attachment ${JSON.stringify(args.displayName)}: ${cause.message}`, {
      transient: cause.transient,
      expose: cause.expose,
      cause: error,
      details: { ...cause.details, attachment: args.displayName },
    });
  }
  return files;
}
