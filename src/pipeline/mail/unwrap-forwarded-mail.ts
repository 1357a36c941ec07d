import { simpleParser } from 'mailparser';
import type { StagedFile } from '../../core/staged-file.js';
import type { IngestError } from '../../core/ingest-error.js';
import type { StagingFolder } from '../staging/staging-folder.js';
import { mailHints } from './mail-hints.js';
import { splitMessageParts, type MessageParts, type PartNaming } from './split-message-parts.js';

/** Hint set when the mail was read as forwarded: how many levels of forwarding were read ("1"). */
export const FORWARDED_HINT = 'forwarded';
/** Put once more before every file of each level of forwarding: `forwarded-body.txt`, `forwarded-forwarded-body.txt`. */
export const FORWARDED_PREFIX = 'forwarded-';
/** The header block of a forwarded message, so its Subject and Date read as if it had come directly. */
export const FORWARDED_HEADERS_FILE = 'headers.txt';
/** A forward of a forward of a forward is as far as people go; past it, the mail is left as it is. */
export const MAX_FORWARD_DEPTH = 3;
/** RFC 5322 headers are a few KiB; more than this of a forwarded message's head is not read for its headers. */
export const MAX_FORWARDED_HEADER_BYTES = 256 * 1024;

/** Media types of a whole mail sent as an attachment (RFC 2046, RFC 6532 for UTF-8 headers). */
const MESSAGE_MEDIA_TYPES: ReadonlySet<string> = new Set(['message/rfc822', 'message/global']);
/** A delivery or read report quotes the mail it is about: that mail was not forwarded to us. */
const REPORT_MEDIA_TYPE = 'multipart/report';
/** The hints that describe a message; for a forwarded mail they are the inner one's, and the outer ones are kept as `outer…`. */
const MESSAGE_HINTS = ['subject', 'from', 'to', 'messageId', 'date'] as const;

export interface UnwrappedMail {
  /** Levels of forwarding read: 0 when the mail came directly (or its forward could not be read). */
  readonly depth: number;
  /** The innermost message read: its hints, and the outer mail's as `outer…`. */
  readonly hints: Readonly<Record<string, string>>;
  /** Why a message attached to the mail was not read as a forwarded one (several of them, too deep, no headers). */
  readonly notRead?: string;
  /** The innermost message's MIME structure could not be read to the end. */
  readonly problem?: IngestError;
}

/**
 * Reads a mail forwarded "as attachment" (Outlook and Thunderbird "Forward as Attachment",
 * Gmail, mutt's MIME forward, a gateway that wraps it with a short note) as if it had come
 * directly: when a mail carries exactly one attached message (`message/rfc822`, also base64
 * encoded as Exchange sends it), that message's header block is staged as
 * `forwarded-headers.txt` and its parts are split beside it as `forwarded-body.txt`,
 * `forwarded-body.html` and `forwarded-attachment-<n>.bin` (roles `forwarded-headers`,
 * `forwarded-body`, `forwarded-attachment`); a forward of a forward adds one more `forwarded-`.
 * The attached message itself stays the outer mail's `attachment-<n>.bin`, byte for byte.
 *
 * The hints become the innermost message's, so classification sees the real subject; the
 * mail's own are kept as `outerSubject`, `outerFrom`, …, and `forwarded` holds the depth.
 */
export async function unwrapForwardedMail(args: { readonly folder: StagingFolder; readonly received: MessageParts }): Promise<UnwrappedMail> {
  const { folder, received } = args;
  let current = received;
  let depth = 0;
  let notRead: string | undefined;
  let problem: IngestError | undefined;
  for (;;) {
    const candidate = forwardedMessageOf(current);
    if (candidate === undefined) break;
    if ('reason' in candidate) {
      notRead = candidate.reason;
      break;
    }
    if (depth === MAX_FORWARD_DEPTH) {
      notRead = `${candidate.file.name} is forwarded more than ${MAX_FORWARD_DEPTH} levels deep; the mail is read at the level above it`;
      break;
    }
    const headerBlock = await readHeaderBlock(folder, candidate.file.name);
    if (!(await hasMessageHeaders(headerBlock))) {
      notRead = `${candidate.file.name} is typed ${candidate.file.contentType ?? 'message/rfc822'} but holds no message headers`;
      break;
    }
    depth += 1;
    const naming = forwardedNaming(depth);
    await folder.writeFile({
      name: `${naming.prefix}${FORWARDED_HEADERS_FILE}`,
      source: headerBlock,
      role: 'forwarded-headers',
      contentType: 'text/rfc822-headers',
    });
    current = await splitMessageParts({ folder, messageName: candidate.file.name, naming });
    if (current.problem !== undefined) {
      problem = current.problem;
      break;
    }
  }
  const hints = depth === 0 ? { ...received.hints } : forwardedHints(received.hints, current.hints, depth);
  return { depth, hints, ...(notRead === undefined ? {} : { notRead }), ...(problem === undefined ? {} : { problem }) };
}

/** The names of the parts of a message forwarded `depth` levels deep. */
export function forwardedNaming(depth: number): PartNaming {
  return { prefix: FORWARDED_PREFIX.repeat(depth), bodyRole: 'forwarded-body', attachmentRole: 'forwarded-attachment' };
}

/** The one attached message to read as forwarded; a reason when there is something attached that cannot be. */
function forwardedMessageOf(parts: MessageParts): { readonly file: StagedFile } | { readonly reason: string } | undefined {
  if (parts.mediaType === REPORT_MEDIA_TYPE) return undefined;
  const messages = parts.attachments.filter((file) => MESSAGE_MEDIA_TYPES.has(mediaTypeOf(file)));
  const [first] = messages;
  if (first === undefined) return undefined;
  if (messages.length === 1) return { file: first };
  return {
    reason: `the mail forwards ${messages.length} messages (${messages.map((file) => file.name).join(', ')}); only a mail that forwards exactly one is read as forwarded`,
  };
}

function mediaTypeOf(file: StagedFile): string {
  return (file.contentType ?? '').split(';', 1)[0]?.trim().toLowerCase() ?? '';
}

/** The message's header block, up to and with the blank line that ends it (bounded). */
async function readHeaderBlock(folder: StagingFolder, name: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  const stream = folder.openRead(name);
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      chunks.push(chunk);
      size += chunk.length;
      const head = Buffer.concat(chunks, size);
      const end = headerBlockEnd(head);
      if (end !== undefined) return head.subarray(0, end);
      if (size >= MAX_FORWARDED_HEADER_BYTES) return head.subarray(0, MAX_FORWARDED_HEADER_BYTES);
    }
    return Buffer.concat(chunks, size);
  } finally {
    stream.destroy();
  }
}

function headerBlockEnd(head: Buffer): number | undefined {
  if (head[0] === 0x0a) return 1;
  if (head[0] === 0x0d && head[1] === 0x0a) return 2;
  const ends = [head.indexOf('\r\n\r\n'), head.indexOf('\n\n')]
    .map((index, which) => (index === -1 ? -1 : index + (which === 0 ? 4 : 2)))
    .filter((end) => end !== -1);
  return ends.length === 0 ? undefined : Math.min(...ends);
}

/** Whether a header block names a message at all (a From, Subject, Date or Message-ID). */
async function hasMessageHeaders(block: Buffer): Promise<boolean> {
  const parsed = await simpleParser(Buffer.concat([block, Buffer.from('\r\n\r\n')]), { skipHtmlToText: true, skipTextToHtml: true, skipImageLinks: true });
  const hints = mailHints({ headers: parsed.headers, headerLines: parsed.headerLines });
  return MESSAGE_HINTS.some((key) => key !== 'to' && hints[key] !== undefined);
}

function forwardedHints(outer: Readonly<Record<string, string>>, inner: Readonly<Record<string, string>>, depth: number): Record<string, string> {
  const hints: Record<string, string> = { ...inner, [FORWARDED_HINT]: String(depth) };
  for (const key of MESSAGE_HINTS) {
    const value = outer[key];
    if (value !== undefined) hints[`outer${key.charAt(0).toUpperCase()}${key.slice(1)}`] = value;
  }
  return hints;
}
