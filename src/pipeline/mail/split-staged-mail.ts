import type { IngestError } from '../../core/ingest-error.js';
import type { StagingFolder } from '../staging/staging-folder.js';
import { RECEIVED_MAIL_NAMING, splitMessageParts } from './split-message-parts.js';
import { unwrapForwardedMail } from './unwrap-forwarded-mail.js';

export { FORWARDED_HINT } from './unwrap-forwarded-mail.js';
/** Hint set when the MIME structure could not be read to the end; its value says why. */
export const MIME_PROBLEM_HINT = 'mimeProblem';
/** Hint set when a message attached to the mail could not be read as a forwarded one; its value says why. */
export const FORWARD_NOT_READ_HINT = 'forwardNotRead';

export interface SplitMailResult {
  /**
   * From the top-level headers (see mailHints) — of the forwarded message when the mail was read
   * as forwarded (see unwrapForwardedMail) — plus `mimeProblem` when `problem` is set.
   */
  readonly hints: Readonly<Record<string, string>>;
  /** Attachments of the mail as received. */
  readonly attachments: number;
  /** Levels of forwarding read (0: the mail came directly). */
  readonly forwarded: number;
  /**
   * Set when the message could not be split to the end (too many parts, a header block past
   * 1 MiB, broken encoding). The files written before the problem are kept; callers keep the
   * raw message rather than reject it, so bad input never vanishes.
   */
  readonly problem?: IngestError;
}

/**
 * Splits a staged raw message into files beside it (see splitMessageParts): `attachment-<n>.bin`,
 * `body.txt`, `body.html`; and when it forwards a mail as an attachment, that mail's parts too
 * (see unwrapForwardedMail), so modules read a forwarded alert or report as if it had come
 * directly.
 *
 * Rejects only when writing our own files fails (disk full, I/O error: transient); a message
 * mailparser cannot read is a `problem`, not an exception.
 */
export async function splitStagedMail(args: { readonly folder: StagingFolder; readonly messageName: string }): Promise<SplitMailResult> {
  const received = await splitMessageParts({ folder: args.folder, messageName: args.messageName, naming: RECEIVED_MAIL_NAMING });
  const attachments = received.attachments.length;
  if (received.problem !== undefined) {
    const problem = received.problem;
    return { hints: { ...received.hints, [MIME_PROBLEM_HINT]: `${problem.code}: ${problem.message}` }, attachments, forwarded: 0, problem };
  }
  const unwrapped = await unwrapForwardedMail({ folder: args.folder, received });
  const hints: Record<string, string> = { ...unwrapped.hints };
  if (unwrapped.notRead !== undefined) hints[FORWARD_NOT_READ_HINT] = unwrapped.notRead;
  const problem = unwrapped.problem;
  if (problem !== undefined) hints[MIME_PROBLEM_HINT] = `forwarded message: ${problem.code}: ${problem.message}`;
  return { hints, attachments, forwarded: unwrapped.depth, ...(problem === undefined ? {} : { problem }) };
}
