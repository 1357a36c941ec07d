import { resolveBpdbjobsLayout } from './bpdbjobs-columns.js';
import type { BpdbjobsRecord } from './bpdbjobs-record.js';
import { EXPORT_FILES } from './export-entry-kind.js';
import { BpdbjobsRecordParser } from './parse-bpdbjobs-record.js';
import type { ParseIssue } from '../../parse-issue.js';
import { MAX_LISTED_ISSUES } from './max-listed-issues.js';
import { readLineBatches, type TextChunkSource } from './read-line-batches.js';

/**
 * Records per yielded batch: enough to amortise async iteration, small enough that a batch dies
 * young (5,000 made the garbage collector copy live batches and cut throughput by half).
 */
export const DEFAULT_BPDBJOBS_BATCH_RECORDS = 500;
/** A record joined from continuation lines may not grow past this (a runaway multi-line value). */
export const MAX_BPDBJOBS_RECORD_CHARS = 1024 * 1024;

export interface BpdbjobsBatch {
  readonly records: BpdbjobsRecord[];
  readonly issues: ParseIssue[];
  /** Physical lines read so far, for progress reports. */
  readonly linesRead: number;
}

export interface ParseBpdbjobsOptions {
  /** The manifest's `bpdbjobsColumns`: when given, that order wins over the documented one. */
  readonly columns?: readonly string[] | undefined;
  /** Name used in issues; defaults to the export's file name. */
  readonly file?: string;
  /** Records per batch (default `DEFAULT_BPDBJOBS_BATCH_RECORDS`). */
  readonly batchRecords?: number;
  /** Longest record joined from continuation lines (default `MAX_BPDBJOBS_RECORD_CHARS`). */
  readonly maxRecordChars?: number;
  /** Issues listed before only their count is reported (default `MAX_LISTED_ISSUES`). */
  readonly maxListedIssues?: number;
}

/**
 * Streams `bpdbjobs -report -most_columns` output as batches of typed jobs (formats spec §3.1).
 * Batches rather than single records: one `await` per few hundred jobs instead of per job, and
 * each batch maps onto one COPY chunk. Memory holds one input chunk, one open record and one batch.
 *
 * A line that does not start with a job id (`<digits>,`) continues the previous record: the value
 * had an embedded newline, which is kept as `\n`. Blank lines are skipped. When the manifest's
 * column list does not put `jobid` first, every line is a record of its own.
 *
 * Throws (on the first `next()`) only when the manifest's column list is unusable; bad lines
 * become issues.
 */
export async function* parseBpdbjobs(source: TextChunkSource, options: ParseBpdbjobsOptions = {}): AsyncGenerator<BpdbjobsBatch, void, undefined> {
  const file = options.file ?? EXPORT_FILES.bpdbjobs.fileName;
  const batchRecords = options.batchRecords ?? DEFAULT_BPDBJOBS_BATCH_RECORDS;
  const maxRecordChars = options.maxRecordChars ?? MAX_BPDBJOBS_RECORD_CHARS;
  const maxListedIssues = options.maxListedIssues ?? MAX_LISTED_ISSUES;
  const layout = resolveBpdbjobsLayout(options.columns);

  let records: BpdbjobsRecord[] = [];
  let issues: ParseIssue[] = [];
  let issueCount = 0;
  const onIssue = (issue: ParseIssue): void => {
    issueCount += 1;
    if (issueCount <= maxListedIssues) issues.push(issue);
  };
  const recordParser = new BpdbjobsRecordParser({ layout, file, onIssue });

  // The open record is a range of a chunk's text until the next record starts (or it is joined
  // with a continuation line into a string of its own).
  let openText: string | null = null;
  let openStart = 0;
  let openEnd = 0;
  let openLine = 0;
  let discardingOversizedRecord = false;
  let linesRead = 0;
  const finishOpenRecord = (): void => {
    if (openText === null) return;
    const record = recordParser.parse(openText, openStart, openEnd, openLine);
    if (record !== null) records.push(record);
    openText = null;
  };

  for await (const batch of readLineBatches(source, { file })) {
    for (const issue of batch.issues) onIssue(issue);
    const { text, lineBounds, firstLineNumber } = batch;
    for (let index = 0; index < lineBounds.length; index += 2) {
      const start = lineBounds[index] as number;
      const end = lineBounds[index + 1] as number;
      if (start === end) continue;
      const lineNumber = firstLineNumber + index / 2;
      if (!layout.jobIdLeads || startsWithJobId(text, start, end)) {
        finishOpenRecord();
        openText = text;
        openStart = start;
        openEnd = end;
        openLine = lineNumber;
        discardingOversizedRecord = false;
        if (records.length >= batchRecords) {
          yield { records, issues, linesRead: lineNumber - 1 };
          records = [];
          issues = [];
        }
      } else if (openText !== null) {
        if (openEnd - openStart + end - start >= maxRecordChars) {
          onIssue({ file, line: openLine, severity: 'error', message: `record spans more than ${maxRecordChars} characters, skipped` });
          openText = null;
          discardingOversizedRecord = true;
        } else {
          openText = `${openText.slice(openStart, openEnd)}\n${text.slice(start, end)}`;
          openStart = 0;
          openEnd = openText.length;
        }
      } else if (!discardingOversizedRecord) {
        onIssue({ file, line: lineNumber, severity: 'error', message: 'line does not start with a job id and continues no record, skipped' });
      }
    }
    if (lineBounds.length > 0) linesRead = firstLineNumber + lineBounds.length / 2 - 1;
  }
  finishOpenRecord();

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
  yield { records, issues, linesRead };
}

const DIGIT_0 = 48;
const DIGIT_9 = 57;
const COMMA = 44;

/** `<digits>,` at the start of the line: the record's job id. */
function startsWithJobId(text: string, start: number, end: number): boolean {
  let index = start;
  while (index < end) {
    const code = text.charCodeAt(index);
    if (code < DIGIT_0 || code > DIGIT_9) break;
    index += 1;
  }
  return index > start && index < end && text.charCodeAt(index) === COMMA;
}
