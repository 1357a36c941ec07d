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
 * 2. transient limits with their own reply (`TOO_MANY_RECIPIENTS` → 452 4.5.3,
 *    `TOO_MANY_CONNECTIONS` → 421 4.7.0); any other transient error → 451 4.3.0.
 * 3. known policy codes → their 5xx (table below), exposed or not.
 * 4. any other non-transient error → 554 5.0.0 when `expose`, else 451 4.3.0: an unknown internal
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
const STORAGE_FULL: ReplyRule = {
  responseCode: 452,
  enhancedStatus: '4.3.1',
  genericText: 'Insufficient system storage, please try again later',
};
const PERMANENT_FAILURE: ReplyRule = { responseCode: 554, enhancedStatus: '5.0.0', genericText: 'Message rejected' };

const STORAGE_CODES: ReadonlySet<string> = new Set(['STORAGE_LOW', 'SYSTEM_ENOSPC', 'SYSTEM_EDQUOT', 'ENOSPC', 'EDQUOT']);
/** How deep the `cause` chain is searched for a full disk (wrappers of wrappers are rare). */
const MAX_CAUSE_DEPTH = 5;

/** Transient refusals with a more telling reply than 451 (applied only when the error is transient). */
const TRANSIENT_RULES: ReadonlyMap<string, ReplyRule> = new Map([
  ['TOO_MANY_RECIPIENTS', { responseCode: 452, enhancedStatus: '4.5.3', genericText: 'Too many recipients' }],
  ['TOO_MANY_CONNECTIONS', { responseCode: 421, enhancedStatus: '4.7.0', genericText: 'Too many connections, try again later' }],
]);

const POLICY_RULES: ReadonlyMap<string, ReplyRule> = new Map([
  ['MESSAGE_TOO_LARGE', { responseCode: 552, enhancedStatus: '5.3.4', genericText: 'Message size exceeds fixed maximum message size' }],
  // The staging writer's own cap (stage.ts), reached when a transport does not count bytes itself.
  ['ARRIVAL_TOO_LARGE', { responseCode: 552, enhancedStatus: '5.3.4', genericText: 'Message size exceeds fixed maximum message size' }],
  ['RECIPIENT_UNKNOWN', { responseCode: 550, enhancedStatus: '5.1.1', genericText: 'Recipient address rejected: user unknown' }],
  ['RELAY_DENIED', { responseCode: 550, enhancedStatus: '5.7.1', genericText: 'Relay access denied' }],
  // RFC 3463 X.2.1 "mailbox disabled, not accepting messages": the customer is offboarded or paused.
  ['CUSTOMER_DISABLED', { responseCode: 550, enhancedStatus: '5.2.1', genericText: 'Mailbox disabled, not accepting messages' }],
  ['SENDER_NOT_ALLOWED', { responseCode: 550, enhancedStatus: '5.7.1', genericText: 'Sender address rejected: not allowed' }],
  ['MESSAGE_MALFORMED', { responseCode: 554, enhancedStatus: '5.6.0', genericText: 'Message content rejected: malformed message' }],
]);

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
  if (error.transient) return TRANSIENT_RULES.get(error.code) ?? TEMPORARY_FAILURE;
  return POLICY_RULES.get(error.code) ?? (error.expose ? PERMANENT_FAILURE : TEMPORARY_FAILURE);
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
