import { ERROR_CODE_LIST, ERROR_CODES, STORAGE_FULL_REPLY } from '../core/error-codes.js';
import { toIngestError } from '../core/ingest-error.js';
import type { IngestError } from '../core/ingest-error.js';

/**
 * The one mapping from an error to an SMTP reply. smtp-server answers an error that carries
 * `responseCode` with `<responseCode> <message>`, so `message` starts with the enhanced status
 * code (RFC 3463). Without a deliberate code smtp-server answers 450, so every error path of the
 * SMTP hooks should go through here.
 *
 * Rules, in order:
 * 1. `STORAGE_LOW`, `SYSTEM_ENOSPC`, `SYSTEM_EDQUOT`, or any error caused by ENOSPC/EDQUOT (the
 *    spool wraps its write failures) → 452 4.3.1 (running out of space is never permanent,
 *    whatever the flag says).
 * 2. a code's own reply from the catalogue (src/core/error-codes.ts), when it fits the error:
 *    a 4xx one (`TOO_MANY_RECIPIENTS` → 452 4.5.3) only if the error is transient, a 5xx one
 *    (`RECIPIENT_UNKNOWN` → 550 5.1.1) only if it is permanent, exposed or not; any other
 *    transient error → 451 4.3.0.
 * 3. any other non-transient error → 554 5.0.0 when `expose`, else 451 4.3.0: an unknown internal
 *    fault must never bounce mail for good (the Haraka #3386 class of bug).
 *
 * The text is the error's own message only when `expose`, sanitised to printable ASCII without
 * CR/LF/NUL (reply text may quote client input, and a line break would forge a second reply);
 * otherwise a generic text.
 */

export interface SmtpReply {
  readonly responseCode: number;
  readonly message: string;
}

interface ReplyRule {
  readonly responseCode: number;
  readonly enhancedStatus: string;
  readonly genericText: string;
}

/** Keeps `<code> <enhanced status> <text>` well under RFC 5321's 512-byte reply line. */
export const MAX_REPLY_TEXT_BYTES = 400;
const TRUNCATION_MARK = '...';

const TEMPORARY_FAILURE: ReplyRule = {
  responseCode: 451,
  enhancedStatus: '4.3.0',
  genericText: 'Temporary local problem, please try again later',
};
const PERMANENT_FAILURE: ReplyRule = { responseCode: 554, enhancedStatus: '5.0.0', genericText: 'Message rejected' };
const STORAGE_FULL = parseReplyRule(STORAGE_FULL_REPLY);

/** The catalogue's own replies (`<code> <enhanced status> <text>`), parsed once. */
const OWN_RULES: ReadonlyMap<string, ReplyRule> = new Map(
  ERROR_CODE_LIST.flatMap((code) => {
    const reply = ERROR_CODES[code].smtp;
    return reply === undefined ? [] : [[code, parseReplyRule(reply)] as const];
  }),
);

/** Codes whose own reply is "insufficient storage", plus the raw system codes a wrapped cause may carry. */
const STORAGE_CODES: ReadonlySet<string> = new Set([...ERROR_CODE_LIST.filter((code) => ERROR_CODES[code].smtp === STORAGE_FULL_REPLY), 'ENOSPC', 'EDQUOT']);
/** How deep the `cause` chain is searched for a full disk (wrappers of wrappers are rare). */
const MAX_CAUSE_DEPTH = 5;

/** Accepts anything thrown: non-IngestErrors go through `toIngestError` (unknown → transient). */
export function replyForError(error: unknown): SmtpReply {
  const ingestError = toIngestError(error);
  const rule = chooseRule(ingestError);
  const text = ingestError.expose ? sanitizeReplyText(ingestError.message) : '';
  return { responseCode: rule.responseCode, message: `${rule.enhancedStatus} ${text === '' ? rule.genericText : text}` };
}

/**
 * The error to hand to an smtp-server callback: its `responseCode` and message are the reply
 * (smtp-server sends `<responseCode> <message>` and answers 450 when the code is missing).
 */
export function smtpErrorFor(error: unknown): Error & { responseCode: number } {
  const reply = replyForError(error);
  return Object.assign(new Error(reply.message), { responseCode: reply.responseCode });
}

function chooseRule(error: IngestError): ReplyRule {
  if (isStorageFull(error)) return STORAGE_FULL;
  // A code's own 4xx reply fits only a transient error, its own 5xx only a permanent one.
  const own = OWN_RULES.get(error.code);
  if (own !== undefined && own.responseCode < 500 === error.transient) return own;
  if (error.transient) return TEMPORARY_FAILURE;
  return error.expose ? PERMANENT_FAILURE : TEMPORARY_FAILURE;
}

function parseReplyRule(reply: string): ReplyRule {
  const [responseCode = '', enhancedStatus = '', ...text] = reply.split(' ');
  return { responseCode: Number(responseCode), enhancedStatus, genericText: text.join(' ') };
}

/** True when the error, or one that caused it, says the disk or the quota is full. */
function isStorageFull(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth <= MAX_CAUSE_DEPTH && current !== null && typeof current === 'object'; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && STORAGE_CODES.has(code)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * Makes text safe for one SMTP reply line: control characters (CR, LF, NUL, C0, DEL) become
 * spaces, anything outside printable ASCII becomes `?`, whitespace runs collapse, and the result
 * is cut to `MAX_REPLY_TEXT_BYTES` (one byte per character once it is ASCII).
 */
export function sanitizeReplyText(text: string): string {
  // Only the head can survive the cut; bounding it first keeps a huge message cheap.
  const head = text.slice(0, MAX_REPLY_TEXT_BYTES * 2);
  const ascii = head
    .replace(/[\u0000-\u001F\u007F]+/g, ' ')
    .replace(/[^\u0020-\u007E]/gu, '?')
    .replace(/ {2,}/g, ' ')
    .trim();
  if (ascii.length <= MAX_REPLY_TEXT_BYTES && head.length === text.length) return ascii;
  if (ascii.length <= MAX_REPLY_TEXT_BYTES - TRUNCATION_MARK.length) return `${ascii}${TRUNCATION_MARK}`;
  return `${ascii.slice(0, MAX_REPLY_TEXT_BYTES - TRUNCATION_MARK.length).trimEnd()}${TRUNCATION_MARK}`;
}
