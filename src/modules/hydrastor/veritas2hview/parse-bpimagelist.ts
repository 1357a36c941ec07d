import type { BpimagelistFragment, BpimagelistImage } from './bpimagelist-image.js';
import { EXPORT_FILES } from './export-entry-kind.js';
import { BIGINT, DECIMAL, EPOCH, INFINITE_DATE_MS, INT4, KIBIBYTES, NETBACKUP_INFINITY_SECONDS, type NumberKind } from './number-kinds.js';
import type { ParseIssue } from '../../parse-issue.js';
import { MAX_LISTED_ISSUES } from './max-listed-issues.js';
import { lineCountOf, lineOf, readLineBatches, type TextChunkSource } from './read-line-batches.js';

/** Images per yielded batch (each with its fragments). */
export const DEFAULT_BPIMAGELIST_BATCH_IMAGES = 500;
/** An image line needs its backup id (field 6) to be joined to anything. */
const MIN_IMAGE_FIELDS = 6;
const NULL_TOKEN = '*NULL*';

export interface BpimagelistBatch {
  readonly images: BpimagelistImage[];
  readonly issues: ParseIssue[];
  /** Physical lines read so far, for progress reports. */
  readonly linesRead: number;
}

export interface ParseBpimagelistOptions {
  /** Name used in issues; defaults to the export's file name. */
  readonly file?: string;
  readonly batchImages?: number;
  readonly maxListedIssues?: number;
}

/**
 * Streams `bpimagelist -l` output as batches of images, each with its fragments (formats spec
 * §3.3). An image is complete when the next `IMAGE` line (or the end) arrives, so memory holds one
 * input chunk and one batch. Lines are space-separated and positional; `*NULL*` is null; fields a
 * line does not reach are null. A `FRAG` before any `IMAGE`, an `IMAGE` without a backup id and
 * unknown line types become issues.
 */
export async function* parseBpimagelist(source: TextChunkSource, options: ParseBpimagelistOptions = {}): AsyncGenerator<BpimagelistBatch, void, undefined> {
  const file = options.file ?? EXPORT_FILES.bpimagelist.fileName;
  const batchImages = options.batchImages ?? DEFAULT_BPIMAGELIST_BATCH_IMAGES;
  const maxListedIssues = options.maxListedIssues ?? MAX_LISTED_ISSUES;
  let images: BpimagelistImage[] = [];
  let issues: ParseIssue[] = [];
  let issueCount = 0;
  const report = (line: number | null, severity: 'error' | 'warning', message: string, raw?: string): void => {
    issueCount += 1;
    if (issueCount <= maxListedIssues) issues.push({ file, line, severity, message, ...(raw === undefined ? {} : { raw }) });
  };

  let current: Mutable<BpimagelistImage> | null = null;
  let linesRead = 0;
  const finishImage = (): void => {
    if (current === null) return;
    images.push(current);
    current = null;
  };

  for await (const batch of readLineBatches(source, { file })) {
    for (const issue of batch.issues) report(issue.line, issue.severity ?? 'error', issue.message);
    const count = lineCountOf(batch);
    for (let index = 0; index < count; index += 1) {
      const lineNumber = batch.firstLineNumber + index;
      const fields = tokenize(lineOf(batch, index));
      const keyword = fields[0];
      if (keyword === undefined) continue;
      const reader = new FieldReader(fields);
      if (keyword === 'IMAGE') {
        finishImage();
        if (images.length >= batchImages) {
          yield { images, issues, linesRead: lineNumber - 1 };
          images = [];
          issues = [];
        }
        const image = readImage(reader, lineNumber);
        if (image === null) report(lineNumber, 'error', `IMAGE line has ${fields.length} fields, needs a backup id at field ${MIN_IMAGE_FIELDS}, skipped`);
        else current = image;
      } else if (keyword === 'HISTO') {
        // Not validated: real output shows zeros where Veritas' KB says -1, and nothing reads them.
        if (current !== null) current.histogram = fields.slice(1).map(Number);
        else report(lineNumber, 'warning', 'HISTO line belongs to no IMAGE, ignored');
      } else if (keyword === 'FRAG') {
        // Field 9 is a disk media id for disk storage, but a path for snapshots and shares:
        // kept as written either way; a path matches no disk volume, so the fragment stays unlinked.
        if (current === null) report(lineNumber, 'error', 'FRAG line belongs to no IMAGE, skipped');
        else current.fragments.push(readFragment(reader, lineNumber));
      } else {
        report(lineNumber, 'warning', `unknown line type ${JSON.stringify(keyword.slice(0, 20))}, ignored`);
      }
      for (const unfit of reader.unfit) {
        const holder = keyword === 'IMAGE' || keyword === 'FRAG' ? current : null;
        if (holder !== null) (holder.extra ??= emptyExtra())[extraKey(keyword, reader, unfit.position)] = unfit.raw;
        const shown = unfit.raw.length > 80 ? `${unfit.raw.slice(0, 80)}…` : unfit.raw;
        report(
          lineNumber,
          'warning',
          `${keyword} field ${unfit.position}: ${JSON.stringify(shown)} is not ${unfit.expected}; stored as null${holder === null ? '' : ', kept raw in extra'}`,
          unfit.raw,
        );
      }
    }
    if (count > 0) linesRead = batch.firstLineNumber + count - 1;
  }
  finishImage();
  if (issueCount > maxListedIssues) {
    issues.push({
      file,
      line: null,
      severity: 'warning',
      message: `${issueCount - maxListedIssues} more issues not listed`,
      unlisted: issueCount - maxListedIssues,
    });
  }
  // Always a final batch, even empty: it carries the final line count.
  yield { images, issues, linesRead };
}

/** Single spaces in practice; runs of blanks or tabs are tolerated. */
function tokenize(line: string): string[] {
  const trimmed = line.trim();
  if (trimmed.length === 0) return [];
  return trimmed.includes('  ') || trimmed.includes('\t') ? trimmed.split(/\s+/) : trimmed.split(' ');
}

/** Where a value that did not fit its column is kept: `field<N>` of the image, or of its fragment. */
function extraKey(keyword: string, reader: FieldReader, position: number): string {
  return keyword === 'FRAG' ? `frag_${reader.text(2) ?? '?'}_${reader.text(3) ?? '?'}_field${position}` : `field${position}`;
}

function emptyExtra(): Record<string, string> {
  return Object.create(null) as Record<string, string>;
}

/** Positional access by 1-based field number; remembers fields that do not fit their column. */
class FieldReader {
  readonly unfit: Array<{ readonly position: number; readonly raw: string; readonly expected: string }> = [];
  constructor(private readonly fields: readonly string[]) {}

  text(position: number): string | null {
    const value = this.fields[position - 1];
    return value === undefined || value === NULL_TOKEN ? null : value;
  }

  number(position: number, kind: NumberKind): number | null {
    const value = this.text(position);
    if (value === null) return null;
    const parsed = DECIMAL.test(value) ? Number(value) : Number.NaN;
    if (Number.isFinite(parsed) && kind.fits(parsed)) return parsed;
    this.unfit.push({ position, raw: value, expected: kind.description });
    return null;
  }

  /** Epoch seconds; 0 means "not set". */
  date(position: number): Date | null {
    const seconds = this.number(position, EPOCH);
    return seconds === null || seconds === 0 ? null : new Date(seconds * 1000);
  }

  /** An expiration: like `date`, and NetBackup's 2147483647 is "never" (infinity). */
  expiration(position: number): Date | null {
    return this.text(position) === String(NETBACKUP_INFINITY_SECONDS) ? new Date(INFINITE_DATE_MS) : this.date(position);
  }
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function readImage(field: FieldReader, line: number): Mutable<BpimagelistImage> | null {
  const client = field.text(2);
  const backupId = field.text(MIN_IMAGE_FIELDS);
  if (client === null || backupId === null) return null;
  return {
    line,
    client,
    imageVersion: field.number(5, INT4),
    backupId,
    policy: field.text(7),
    clientType: field.number(8, INT4),
    proxyClient: field.text(9),
    creator: field.text(10),
    scheduleLabel: field.text(11),
    scheduleType: field.number(12, INT4),
    retentionLevel: field.number(13, INT4),
    backupTime: field.date(14),
    elapsedSeconds: field.number(15, BIGINT),
    expiresAt: field.expiration(16),
    compression: field.number(17, INT4),
    encryption: field.number(18, INT4),
    kilobytes: field.number(19, KIBIBYTES),
    files: field.number(20, BIGINT),
    copies: field.number(21, INT4),
    fragmentCount: field.number(22, INT4),
    primaryCopy: field.number(28, INT4),
    imageType: field.number(29, INT4),
    keyword: field.text(32),
    jobId: field.number(45, BIGINT),
    histogram: null,
    extra: null,
    fragments: [],
  };
}

function readFragment(field: FieldReader, line: number): BpimagelistFragment {
  return {
    line,
    copyNumber: field.number(2, INT4),
    fragmentNumber: field.number(3, INT4),
    kilobytes: field.number(4, KIBIBYTES),
    remainderBytes: field.number(5, BIGINT),
    mediaType: field.number(6, INT4),
    density: field.number(7, INT4),
    fileNumber: field.number(8, BIGINT),
    mediaId: field.text(9),
    host: field.text(10),
    blockSize: field.number(11, BIGINT),
    offset: field.number(12, BIGINT),
    mediaDate: field.date(13),
    deviceWrittenOn: field.number(14, INT4),
    flags: field.number(15, INT4),
    mediaDescriptor: field.text(16),
    expiresAt: field.expiration(17),
    multiplexed: field.number(18, INT4),
    retentionLevel: field.number(19, INT4),
  };
}
