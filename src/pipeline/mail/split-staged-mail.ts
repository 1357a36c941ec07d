import type { Readable } from 'node:stream';
import { MailParser, type AttachmentStream, type MessageText } from 'mailparser';
import { IngestError } from '../ingest-error.js';
import type { StagingFolder } from '../staging-folder.js';
import { cleanOriginalName } from './clean-original-name.js';
import { mailHints } from './mail-hints.js';

export const TEXT_BODY_FILE = 'body.txt';
export const HTML_BODY_FILE = 'body.html';
/** Hint set when the MIME structure could not be read to the end; its value says why. */
export const MIME_PROBLEM_HINT = 'mimeProblem';

/** mailparser's own defaults, named here because a message past them is kept raw, not split. */
const MAX_MIME_PARTS = 1000;
const MAX_PART_HEADER_BYTES = 1024 * 1024;
const MAX_CONTENT_TYPE_BYTES = 255;

export interface SplitMailResult {
  /** From the top-level headers (see mailHints), plus `mimeProblem` when `problem` is set. */
  readonly hints: Readonly<Record<string, string>>;
  readonly attachments: number;
  /**
   * Set when the message could not be split to the end (too many parts, a header block past
   * 1 MiB, broken encoding). The files written before the problem are kept; callers keep the
   * raw message rather than reject it, so bad input never vanishes.
   */
  readonly problem?: IngestError;
}

/**
 * Splits a staged raw message into files beside it: `attachment-<n>.bin` for each attachment
 * (in message order), then `body.txt` (plain-text parts, LF line ends) and `body.html` (HTML
 * parts) when the mail has them. Names are generated; the attachment's own name and type are
 * kept, cleaned, as data in the folder's file records. Reads the staged copy with mailparser's
 * streaming parser, so attachments never sit in memory (text bodies do: mailparser joins them).
 * HTML is not converted to text here; modules read `body.html` themselves.
 *
 * Rejects only when writing our own files fails (disk full, I/O error: transient); a message
 * mailparser cannot read is a `problem`, not an exception.
 */
export async function splitStagedMail(args: { readonly folder: StagingFolder; readonly messageName: string }): Promise<SplitMailResult> {
  const parser = new MailParser({
    skipHtmlToText: true,
    skipTextToHtml: true,
    skipTextLinks: true,
    checksumAlgo: false,
    maxChildNodes: MAX_MIME_PARTS,
    maxHeadSize: MAX_PART_HEADER_BYTES,
  });
  const source = args.folder.openRead(args.messageName);
  let hints: Record<string, string> = {};
  let parseError: Error | undefined;
  let readError: Error | undefined;
  let currentContent: Readable | undefined;
  parser.once('headers', (headers) => { hints = mailHints({ headers, headerLines: parser.headerLines || [] }); });
  parser.on('error', (error: Error) => {
    parseError ??= error;
    // An attachment cut off by the error would otherwise never end, and its write never settle;
    // one whose content is complete (its writable side ended) is let through.
    if (currentContent !== undefined && !('writableEnded' in currentContent && currentContent.writableEnded === true)) currentContent.destroy(error);
  });
  source.on('error', (error) => {
    readError = error;
    parser.destroy(error);
  });
  source.pipe(parser);

  let attachments = 0;
  let text: MessageText | undefined;
  try {
    for await (const item of parser as AsyncIterable<AttachmentStream | MessageText>) {
      if (item.type === 'text') {
        text = item;
        continue;
      }
      attachments += 1;
      currentContent = item.content;
      try {
        await args.folder.writeFile({
          name: `attachment-${attachments}.bin`,
          source: item.content,
          role: 'attachment',
          ...optional('originalName', cleanOriginalName(item.filename)),
          ...optional('contentType', cleanOriginalName(item.contentType, MAX_CONTENT_TYPE_BYTES)),
        });
      } finally {
        currentContent = undefined;
        item.release?.();
      }
    }
  } catch (error) {
    // Our own staged file unreadable, or our write failed: not the sender's fault, retry later.
    if (readError !== undefined || parseError === undefined) throw error;
  } finally {
    source.destroy();
    parser.destroy();
  }

  if (parseError !== undefined) {
    const problem = malformed(parseError);
    return { hints: { ...hints, [MIME_PROBLEM_HINT]: `${problem.code}: ${problem.message}` }, attachments, problem };
  }
  if (text?.text !== undefined && text.text !== '') {
    await args.folder.writeFile({ name: TEXT_BODY_FILE, source: text.text, role: 'body', contentType: 'text/plain; charset=utf-8' });
  }
  if (text?.html !== undefined && text.html !== '') {
    await args.folder.writeFile({ name: HTML_BODY_FILE, source: text.html, role: 'body', contentType: 'text/html; charset=utf-8' });
  }
  return { hints, attachments };
}

function malformed(error: Error): IngestError {
  const code = (error as { code?: unknown }).code;
  const reason = code === 'EMAXLEN' ? `a MIME limit was exceeded (${error.message})` : error.message;
  return new IngestError('MESSAGE_MALFORMED', `the message's MIME structure could not be read: ${reason}`, {
    transient: false, expose: true, cause: error, details: { parserCode: typeof code === 'string' ? code : null },
  });
}

function optional<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: string };
}
