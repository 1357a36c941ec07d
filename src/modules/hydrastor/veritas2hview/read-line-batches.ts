import type { ParseIssue } from '../../parse-issue.js';
import { createChunkDecoder, detectTextEncoding, type ChunkDecoder } from './text-encoding.js';

/** What the streaming parsers read: a file stream, a tar/zip entry, or generated chunks. */
export type TextChunkSource = AsyncIterable<Buffer | Uint8Array | string> | Iterable<Buffer | Uint8Array | string>;

/**
 * Longest physical line kept. NetBackup lines are a few hundred characters; a file without
 * newlines (binary junk, a hostile upload) must not grow one string until memory runs out.
 */
export const MAX_LINE_CHARS = 1024 * 1024;

/**
 * Lines of one decoded chunk, as offsets into `text` rather than separate strings: scanning a
 * flat chunk string by offset is about twice as fast as scanning sliced line strings, and a
 * parser slices only the fields it keeps.
 */
export interface LineBatch {
  readonly text: string;
  /** `[start0, end0, start1, end1, …]`: each line's range in `text`, without `\n` or `\r\n`. */
  readonly lineBounds: readonly number[];
  /** 1-based number of the first line. */
  readonly firstLineNumber: number;
  readonly issues: readonly ParseIssue[];
}

export interface ReadLineBatchesOptions {
  /** Name used in issues. */
  readonly file: string;
  readonly maxLineChars?: number;
}

/** Line `index` of a batch as a string. */
export function lineOf(batch: LineBatch, index: number): string {
  return batch.text.slice(batch.lineBounds[2 * index], batch.lineBounds[2 * index + 1]);
}

/** How many lines a batch holds. */
export function lineCountOf(batch: LineBatch): number {
  return batch.lineBounds.length / 2;
}

const CARRIAGE_RETURN = 13;

/**
 * Splits a chunked UTF-8 text stream into lines, about one batch per input chunk, so a parser
 * pays the async-iteration cost per chunk rather than per line. Memory stays bounded by the chunk
 * size plus one partial line. Multi-byte characters split across chunks are reassembled; UTF-16
 * (with or without a BOM, from the first chunk's bytes) is decoded; a leading BOM is dropped; an overlong line becomes an empty line plus an issue. Do not mix string
 * and binary chunks in one source.
 */
export async function* readLineBatches(source: TextChunkSource, options: ReadLineBatchesOptions): AsyncGenerator<LineBatch, void, undefined> {
  const maxLineChars = options.maxLineChars ?? MAX_LINE_CHARS;
  /** Chosen from the first binary chunk: UTF-8, or UTF-16 written on Windows. */
  let decoder: ChunkDecoder | null = null;
  /** Start of a line that the previous chunk(s) did not finish. */
  let pending = '';
  let skippingOverlongLine = false;
  let nextLineNumber = 1;
  let atStart = true;

  const overlong = (line: number): ParseIssue => ({
    file: options.file,
    line,
    severity: 'error',
    message: `line longer than ${maxLineChars} characters, skipped`,
  });
  /** The batch of one line that straddled chunks (or ended the input). */
  const singleLine = (line: string): LineBatch => {
    const tooLong = skippingOverlongLine || line.length > maxLineChars;
    const issues = tooLong && !skippingOverlongLine ? [overlong(nextLineNumber)] : [];
    skippingOverlongLine = false;
    const text = tooLong ? '' : line;
    const end = text.length > 0 && text.charCodeAt(text.length - 1) === CARRIAGE_RETURN ? text.length - 1 : text.length;
    return { text, lineBounds: [0, end], firstLineNumber: nextLineNumber++, issues };
  };

  for await (const chunk of source) {
    let text: string;
    if (typeof chunk === 'string') text = chunk;
    else {
      decoder ??= createChunkDecoder(detectTextEncoding(chunk));
      text = decoder.write(chunk);
    }
    if (text.length === 0) continue;
    if (atStart) {
      atStart = false;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }

    let start = 0;
    const firstNewline = text.indexOf('\n');
    if (firstNewline === -1) {
      if (skippingOverlongLine) continue;
      pending = pending.length > 0 ? pending + text : text;
      if (pending.length > maxLineChars) {
        const issue = overlong(nextLineNumber);
        skippingOverlongLine = true;
        pending = '';
        yield { text: '', lineBounds: [], firstLineNumber: nextLineNumber, issues: [issue] };
      }
      continue;
    }
    if (pending.length > 0 || skippingOverlongLine) {
      yield singleLine(skippingOverlongLine ? '' : pending + text.slice(0, firstNewline));
      pending = '';
      start = firstNewline + 1;
    }

    const lineBounds: number[] = [];
    const issues: ParseIssue[] = [];
    const firstLineNumber = nextLineNumber;
    for (let newline = start === 0 ? firstNewline : text.indexOf('\n', start); newline !== -1; newline = text.indexOf('\n', start)) {
      let end = newline;
      if (end > start && text.charCodeAt(end - 1) === CARRIAGE_RETURN) end -= 1;
      if (end - start > maxLineChars) {
        issues.push(overlong(nextLineNumber));
        end = start;
      }
      lineBounds.push(start, end);
      nextLineNumber += 1;
      start = newline + 1;
    }
    if (lineBounds.length > 0 || issues.length > 0) yield { text, lineBounds, firstLineNumber, issues };
    if (start < text.length) {
      pending = text.slice(start);
      if (pending.length > maxLineChars) {
        const issue = overlong(nextLineNumber);
        skippingOverlongLine = true;
        pending = '';
        yield { text: '', lineBounds: [], firstLineNumber: nextLineNumber, issues: [issue] };
      }
    }
  }

  const tail = pending + (decoder?.end() ?? '');
  if (tail.length > 0 || skippingOverlongLine) yield singleLine(tail);
}
