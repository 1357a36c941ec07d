import { IngestError } from '../../core/ingest-error.js';
import type { SkippedEntry } from './extract-types.js';

const MAX_DISPLAYED_NAME_CHARS = 200;
const MAX_LISTED_SKIPPED_IN_MESSAGE = 3;

/** Entry names are attacker-controlled: escape control characters and bound the length before display. */
export function describeEntryName(name: string): string {
  const shown = name.length > MAX_DISPLAYED_NAME_CHARS ? `${name.slice(0, MAX_DISPLAYED_NAME_CHARS)}…` : name;
  return JSON.stringify(shown);
}

export function archiveUnsupported(firstBytes: Buffer): IngestError {
  const hex = [...firstBytes].map((byte) => byte.toString(16).padStart(2, '0')).join(' ');
  return new IngestError('ARCHIVE_UNSUPPORTED', 'The file is not a .tar.gz/.tgz or .zip archive (its content does not start with a gzip or zip signature)', {
    details: { firstBytes: hex },
  });
}

export function archiveCorrupt(reason: string, cause?: unknown): IngestError {
  return new IngestError('ARCHIVE_CORRUPT', `The archive is corrupt or truncated: ${reason}`, {
    cause,
    details: { reason },
  });
}

export function archiveUnsafeEntries(skipped: readonly SkippedEntry[]): IngestError {
  const listed = skipped
    .slice(0, MAX_LISTED_SKIPPED_IN_MESSAGE)
    .map((entry) => `${describeEntryName(entry.name)} (${entry.reason})`)
    .join(', ');
  const more = skipped.length > MAX_LISTED_SKIPPED_IN_MESSAGE ? ` and ${skipped.length - MAX_LISTED_SKIPPED_IN_MESSAGE} more` : '';
  return new IngestError(
    'ARCHIVE_UNSAFE_ENTRIES',
    `The archive contains ${skipped.length} unsafe or unsupported entr${skipped.length === 1 ? 'y' : 'ies'}: ${listed}${more}`,
    { details: { skipped } },
  );
}

/** A caller's IngestError reason is kept as is (e.g. a job timeout); anything else becomes ARCHIVE_ABORTED. */
export function archiveAborted(reason: unknown): IngestError {
  if (reason instanceof IngestError) return reason;
  return new IngestError('ARCHIVE_ABORTED', 'Reading the archive was cancelled', {
    cause: reason,
  });
}

/**
 * Maps an error raised by zlib, node-tar or yauzl while decoding to ARCHIVE_CORRUPT. System errors
 * (EIO, ENOSPC…) and IngestErrors pass through, so a disk fault stays transient.
 */
export function toArchiveDecodeError(error: unknown): unknown {
  if (error instanceof IngestError) return error;
  if (!(error instanceof Error)) return archiveCorrupt(String(error), error);
  const code = (error as { code?: unknown }).code;
  const isSystemError = typeof code === 'string' && /^E[A-Z]+$/.test(code) && typeof (error as { syscall?: unknown }).syscall === 'string';
  if (isSystemError) return error;
  return archiveCorrupt(error.message, error);
}
