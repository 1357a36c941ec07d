import { open } from 'node:fs/promises';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { mailHints } from '../../../pipeline/mail/mail-hints.js';
import type { StagedFile } from '../../types.js';
import { findMailParts } from './find-mail-parts.js';

/** RFC 5322 headers are rarely past a few KiB; a longer block is cut here (the subject comes early). */
export const MAX_HEADER_BYTES = 256 * 1024;

export interface MessageHeaders {
  /** Decoded and unfolded. */
  readonly subject: string | undefined;
  /** Only when the Date header parses. */
  readonly sentAt: Date | undefined;
}

const NO_HEADERS: MessageHeaders = { subject: undefined, sentAt: undefined };

function headerBlockEnd(head: Buffer): number {
  const crlf = head.indexOf('\r\n\r\n');
  const lf = head.indexOf('\n\n');
  const ends = [crlf === -1 ? -1 : crlf + 4, lf === -1 ? -1 : lf + 2].filter((end) => end !== -1);
  return ends.length === 0 ? head.length : Math.min(...ends);
}

/**
 * The Subject and Date of the staged raw message, read from its header block only (the body may
 * be megabytes), decoded the way the mail transport decodes them for classification.
 */
export async function readMessageHeaders(args: { readonly dir: string; readonly files: readonly StagedFile[] }): Promise<MessageHeaders> {
  const message = findMailParts(args.files).message;
  if (message === undefined) return NO_HEADERS;
  const handle = await open(path.join(args.dir, path.basename(message.name)), 'r');
  let head: Buffer;
  try {
    const buffer = Buffer.alloc(MAX_HEADER_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, MAX_HEADER_BYTES, 0);
    head = buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
  const block = head.subarray(0, headerBlockEnd(head));
  const parsed = await simpleParser(Buffer.concat([block, Buffer.from('\r\n\r\n')]), { skipHtmlToText: true, skipTextToHtml: true, skipImageLinks: true });
  const hints = mailHints({ headers: parsed.headers, headerLines: parsed.headerLines });
  const date = hints['date'] === undefined ? undefined : new Date(hints['date']);
  return { subject: hints['subject'], sentAt: date };
}
