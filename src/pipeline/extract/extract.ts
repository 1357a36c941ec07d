/**
 * Safe streaming reader and extractor for the archives uploads and mails carry (.tar.gz/.tgz, .zip).
 *
 * Threat model: the archive is hostile. Nothing is ever written outside the destination, links
 * and special files are never created, every rejected entry is reported (never silently dropped),
 * and every budget (bytes, entries, ratio, path depth and length) is enforced while inflating,
 * not after. Parsers use `readArchiveEntries` to stream entries straight into their sinks;
 * `extractArchive` is for callers that need files on disk.
 */
import { open } from 'node:fs/promises';
import { resolve } from 'node:path';
import { resolveArchiveBudgets } from './extract-budgets.js';
import { DirectoryWriter, type ExtractedFile } from './extract-directory-writer.js';
import { archiveUnsupported } from './extract-errors.js';
import { readTarGzEntries } from './extract-tar.js';
import type { ArchiveType, ReadArchiveArgs, ReadArchiveResult, SkippedEntry } from './extract-types.js';
import { readZipEntries } from './extract-zip.js';
import { ARCHIVE_SIGNATURE_BYTES, archiveTypeOfHead } from './peek-archive-type.js';

export {
  COMPRESSION_RATIO_CHECK_AFTER_BYTES,
  DEFAULT_ARCHIVE_BUDGETS,
  MAX_ARCHIVE_ENTRIES,
  MAX_ARCHIVE_ENTRY_BYTES,
  MAX_ARCHIVE_TOTAL_BYTES,
  MAX_COMPRESSION_RATIO,
  MAX_PATH_BYTES,
  MAX_PATH_DEPTH_SEGMENTS,
} from './extract-budgets.js';
export type { ArchiveBudgets } from './archive-budgets.js';
export type { ExtractedFile } from './extract-directory-writer.js';
export { stripCommonTopLevelFolder, type StrippedPaths } from './extract-entry-path.js';
export type {
  ArchiveEntry,
  ArchiveType,
  DeliveredEntry,
  ReadArchiveArgs,
  ReadArchiveResult,
  SkipReason,
  SkippedEntry,
  UnsafeEntryPolicy,
} from './extract-types.js';

/**
 * Decides the format from the first bytes, never from the name (mail attachments and S3 keys are
 * named by senders). Anything else is ARCHIVE_UNSUPPORTED.
 */
export async function detectArchiveType(archivePath: string): Promise<ArchiveType> {
  const handle = await open(archivePath, 'r');
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(ARCHIVE_SIGNATURE_BYTES), 0, ARCHIVE_SIGNATURE_BYTES, 0);
    const head = buffer.subarray(0, bytesRead);
    const type = archiveTypeOfHead(head);
    if (type === undefined) throw archiveUnsupported(head);
    return type;
  } finally {
    await handle.close();
  }
}

/**
 * Streams every regular file of the archive to `onEntry`, one at a time and in archive order,
 * awaiting each call; writes nothing to disk. Rejects with ARCHIVE_UNSUPPORTED, ARCHIVE_CORRUPT,
 * ARCHIVE_LIMIT_EXCEEDED or ARCHIVE_UNSAFE_ENTRIES (details.skipped lists every refused entry),
 * or with the error `onEntry` threw.
 *
 * A tar is a stream, so entries before a failure may already have been delivered: treat the
 * whole call as failed (roll back what `onEntry` loaded). A zip is judged in full, from its
 * central directory, before anything is delivered.
 */
export async function readArchiveEntries(args: ReadArchiveArgs): Promise<ReadArchiveResult> {
  const budgets = resolveArchiveBudgets(args.budgets);
  const type = await detectArchiveType(args.archivePath);
  const readerArgs = {
    archivePath: args.archivePath,
    budgets,
    signal: args.signal,
    unsafeEntries: args.unsafeEntries ?? 'fail',
    onEntry: args.onEntry,
  } as const;
  return type === 'zip' ? readZipEntries(readerArgs) : readTarGzEntries(readerArgs);
}

export interface ExtractArchiveArgs extends Omit<ReadArchiveArgs, 'onEntry'> {
  /** An existing, caller-owned directory (ideally a fresh 0700 mkdtemp); it is never removed. */
  readonly destDir: string;
}

export interface ExtractArchiveResult {
  readonly type: ArchiveType;
  readonly files: readonly ExtractedFile[];
  readonly skipped: readonly SkippedEntry[];
}

/**
 * Extracts the regular files under `destDir` at their normalized relative paths (new files only,
 * 0600, parents 0700) and returns each file's size and SHA-256. On any failure everything it
 * wrote is removed before the error is rethrown.
 */
export async function extractArchive(args: ExtractArchiveArgs): Promise<ExtractArchiveResult> {
  const { destDir, ...readArgs } = args;
  const writer = new DirectoryWriter(resolve(destDir));
  const files: ExtractedFile[] = [];
  try {
    const result = await readArchiveEntries({
      ...readArgs,
      onEntry: async (entry) => {
        files.push(await writer.writeFile(entry));
      },
    });
    return { type: result.type, files, skipped: result.skipped };
  } catch (error) {
    await writer.removeWritten();
    throw error;
  }
}
