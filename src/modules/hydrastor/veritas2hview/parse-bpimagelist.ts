import type { BpimagelistFragment, BpimagelistImage } from './bpimagelist-image.js';
import { EXPORT_FILES } from './export-entry-kind.js';
import { MAX_LISTED_ISSUES, type ParseIssue } from './parse-issue.js';
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
export async function* parseBpimagelist(
  source: TextChunkSource,
  options: ParseBpimagelistOptions = {},
): AsyncGenerator<BpimagelistBatch, void, undefined> {
  const file = options.file ?? EXPORT_FILES.bpimagelist.fileName;
  const batchImages = options.batchImages ?? DEFAULT_BPIMAGELIST_BATCH_IMAGES;
  const maxListedIssues = options.maxListedIssues ?? MAX_LISTED_ISSUES;
  let images: BpimagelistImage[] = [];
  let issues: ParseIssue[] = [];
  let issueCount = 0;
  const report = (line: number | null, severity: ParseIssue['severity'], message: string): void => {
    issueCount += 1;
    if (issueCount <= maxListedIssues) issues.push({ file, line, severity, message });
  };

  let current: Mutable<BpimagelistImage> | null = null;
  let linesRead = 0;
  const finishImage = (): void => {
    if (current === null) return;
    images.push(current);
    current = null;
  };

  for await (const batch of readLineBatches(source, { file })) {
    for (const issue of batch.issues) report(issue.line, issue.severity, issue.message);
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
        if (current !== null) current.histogram = fields.slice(1).map(Number);
        else report(lineNumber, 'warning', 'HISTO line belongs to no IMAGE, ignored');
      } else if (keyword === 'FRAG') {
        if (current === null) report(lineNumber, 'error', 'FRAG line belongs to no IMAGE, skipped');
        else current.fragments.push(readFragment(reader, lineNumber));
      } else {
        report(lineNumber, 'warning', `unknown line type ${JSON.stringify(keyword.slice(0, 20))}, ignored`);
      }
      if (reader.invalid.length > 0) report(lineNumber, 'warning', `not a number in ${keyword} field(s) ${reader.invalid.join(', ')}, stored as null`);
    }
    if (count > 0) linesRead = batch.firstLineNumber + count - 1;
  }
  finishImage();
  if (issueCount > maxListedIssues) {
    issues.push({ file, line: null, severity: 'warning', message: `${issueCount - maxListedIssues} more issues not listed`, unlisted: issueCount - maxListedIssues });
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

/** Positional access by 1-based field number; remembers fields that should be numbers but are not. */
class FieldReader {
  readonly invalid: number[] = [];
  constructor(private readonly fields: readonly string[]) {}

  text(position: number): string | null {
    const value = this.fields[position - 1];
    return value === undefined || value === NULL_TOKEN ? null : value;
  }

  number(position: number): number | null {
    const value = this.text(position);
    if (value === null) return null;
    const parsed = Number(value);
    if (Number.isFinite(parsed)) return parsed;
    this.invalid.push(position);
    return null;
  }

  /** Epoch seconds; 0 means "not set". */
  date(position: number): Date | null {
    const seconds = this.number(position);
    return seconds === null || seconds === 0 ? null : new Date(seconds * 1000);
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
    imageVersion: field.number(5),
    backupId,
    policy: field.text(7),
    clientType: field.number(8),
    proxyClient: field.text(9),
    creator: field.text(10),
    scheduleLabel: field.text(11),
    scheduleType: field.number(12),
    retentionLevel: field.number(13),
    backupTime: field.date(14),
    elapsedSeconds: field.number(15),
    expiresAt: field.date(16),
    compression: field.number(17),
    encryption: field.number(18),
    kilobytes: field.number(19),
    files: field.number(20),
    copies: field.number(21),
    fragmentCount: field.number(22),
    primaryCopy: field.number(28),
    imageType: field.number(29),
    keyword: field.text(32),
    jobId: field.number(45),
    histogram: null,
    fragments: [],
  };
}

function readFragment(field: FieldReader, line: number): BpimagelistFragment {
  return {
    line,
    copyNumber: field.number(2),
    fragmentNumber: field.number(3),
    kilobytes: field.number(4),
    remainderBytes: field.number(5),
    mediaType: field.number(6),
    density: field.number(7),
    fileNumber: field.number(8),
    mediaId: field.text(9),
    host: field.text(10),
    blockSize: field.number(11),
    offset: field.number(12),
    mediaDate: field.date(13),
    deviceWrittenOn: field.number(14),
    flags: field.number(15),
    mediaDescriptor: field.text(16),
    expiresAt: field.date(17),
    multiplexed: field.number(18),
    retentionLevel: field.number(19),
  };
}
