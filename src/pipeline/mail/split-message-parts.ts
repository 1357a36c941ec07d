import type { Readable } from 'node:stream';
import { MailParser, type AttachmentStream, type MessageText } from 'mailparser';
import { HTML_BODY_FILE, TEXT_BODY_FILE, type StagedFile } from '../../core/staged-file.js';
import { IngestError } from '../../core/ingest-error.js';
import type { StagingFolder } from '../staging/staging-folder.js';
import { cleanOriginalName } from './clean-original-name.js';
import { mailHints } from './mail-hints.js';

/** mailparser's own defaults, named here because a message past them is kept raw, not split. */
const MAX_MIME_PARTS = 1000;
const MAX_PART_HEADER_BYTES = 1024 * 1024;
const MAX_CONTENT_TYPE_BYTES = 255;

/** How one message's parts are named: the mail as received, or a message forwarded inside it. */
export interface PartNaming {
  /** Put before every generated name: '' for the mail itself, `forwarded-` per level of forwarding. */
  readonly prefix: string;
  readonly bodyRole: string;
  readonly attachmentRole: string;
}

export const RECEIVED_MAIL_NAMING: PartNaming = { prefix: '', bodyRole: 'body', attachmentRole: 'attachment' };

export interface MessageParts {
  /** From the message's own headers (see mailHints). */
  readonly hints: Readonly<Record<string, string>>;
  /** `multipart/mixed` out of the top-level Content-Type, lower case ('' when absent). */
  readonly mediaType: string;
  /** The attachment files written, in message order. */
  readonly attachments: readonly StagedFile[];
  /** Set when the MIME structure could not be read to the end; the files written before it are kept. */
  readonly problem?: IngestError;
}

/**
 * Splits one staged message into files beside it: `<prefix>attachment-<n>.bin` for each
 * attachment (in message order), then `<prefix>body.txt` (plain-text parts, decoded from their
 * declared charset to UTF-8, LF line ends) and `<prefix>body.html` (HTML parts) when it has them.
 * Names are generated; the attachment's own name and type are kept, cleaned, as data in the
 * folder's file records. Reads the staged copy with mailparser's streaming parser, so attachments
 * never sit in memory (text bodies do: mailparser joins them). HTML is not converted to text here.
 *
 * An embedded `message/rfc822` part is never opened here, whatever its disposition: it is written
 * as an attachment like any other, and the caller decides whether it is a forwarded mail to read
 * (see unwrapForwardedMail). Opened in place, its parts would be mixed into this message's.
 *
 * Rejects only when writing our own files fails (disk full, I/O error: transient); a message
 * mailparser cannot read is a `problem`, not an exception.
 */
export async function splitMessageParts(args: {
  readonly folder: StagingFolder;
  readonly messageName: string;
  readonly naming: PartNaming;
}): Promise<MessageParts> {
  const { folder, naming } = args;
  const parser = new MailParser({
    skipHtmlToText: true,
    skipTextToHtml: true,
    skipTextLinks: true,
    checksumAlgo: false,
    maxChildNodes: MAX_MIME_PARTS,
    maxHeadSize: MAX_PART_HEADER_BYTES,
    ignoreEmbedded: true,
  });
  const source = folder.openRead(args.messageName);
  let hints: Record<string, string> = {};
  let mediaType = '';
  let parseError: Error | undefined;
  let readError: Error | undefined;
  let currentContent: Readable | undefined;
  parser.once('headers', (headers) => {
    hints = mailHints({ headers, headerLines: parser.headerLines || [] });
    mediaType = mediaTypeOf(headers.get('content-type'));
  });
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

  const attachments: StagedFile[] = [];
  let text: MessageText | undefined;
  try {
    for await (const item of parser as AsyncIterable<AttachmentStream | MessageText>) {
      if (item.type === 'text') {
        text = item;
        continue;
      }
      currentContent = item.content;
      try {
        attachments.push(
          await folder.writeFile({
            name: `${naming.prefix}attachment-${attachments.length + 1}.bin`,
            source: item.content,
            role: naming.attachmentRole,
            ...optional('originalName', cleanOriginalName(item.filename)),
            ...optional('contentType', cleanOriginalName(item.contentType, MAX_CONTENT_TYPE_BYTES)),
          }),
        );
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

  if (parseError !== undefined) return { hints, mediaType, attachments, problem: malformed(parseError) };
  if (text?.text !== undefined && text.text !== '') {
    await folder.writeFile({ name: `${naming.prefix}${TEXT_BODY_FILE}`, source: text.text, role: naming.bodyRole, contentType: 'text/plain; charset=utf-8' });
  }
  if (text?.html !== undefined && text.html !== '') {
    await folder.writeFile({ name: `${naming.prefix}${HTML_BODY_FILE}`, source: text.html, role: naming.bodyRole, contentType: 'text/html; charset=utf-8' });
  }
  return { hints, mediaType, attachments };
}

/** `message/rfc822` out of a header value `{ value, params }` as mailparser gives it, or a bare string. */
function mediaTypeOf(header: unknown): string {
  const value = typeof header === 'string' ? header : (header as { value?: unknown } | undefined)?.value;
  return typeof value === 'string' ? (value.split(';', 1)[0] ?? '').trim().toLowerCase() : '';
}

function malformed(error: Error): IngestError {
  const code = (error as { code?: unknown }).code;
  const reason = code === 'EMAXLEN' ? `a MIME limit was exceeded (${error.message})` : error.message;
  return new IngestError('MESSAGE_MALFORMED', `the message's MIME structure could not be read: ${reason}`, {
    cause: error,
    details: { parserCode: typeof code === 'string' ? code : null },
  });
}

function optional<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: string };
}
