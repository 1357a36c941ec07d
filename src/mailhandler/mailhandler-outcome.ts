import type { AcceptResult } from '../pipeline/accept.js';
import { errorCodeSpec, SYSEXITS } from '../core/error-codes.js';
import { toIngestError } from '../core/ingest-error.js';
import { replyForError } from '../smtp/reply-for-error.js';
import { acceptedReplyText } from '../smtp/smtp-envelope.js';

/**
 * sysexits.h codes, the only statuses Postfix pipe(8) interprets: 75 defers, the others bounce,
 * and so does any code outside 64–78 (a plain `exit 1` would bounce mail for good).
 */
export const MAILHANDLER_EXIT = SYSEXITS;

/** What the command prints (one line) and exits with. */
export interface MailhandlerOutcome {
  readonly exitCode: number;
  /** Starts with an RFC 3463 status: pipe(8) lets it override the exit status, so they agree. */
  readonly line: string;
}

/** Local set-up problems (master.cf, config, schema) are deferred with X.3.5 "system incorrectly configured". */
const LOCAL_SETUP_STATUS = '4.3.5';

/**
 * The exit status and line for a failure, decided by the SMTP reply policy (replyForError) so
 * both entry points refuse the same mail the same way: a transient or unknown fault is never a
 * bounce, and the text is the error's own only when it is safe to show. The error code is
 * appended for the Postfix log.
 */
export function mailhandlerOutcomeForError(error: unknown): MailhandlerOutcome {
  const ingestError = toIngestError(error);
  const reply = replyForError(ingestError);
  const space = reply.message.indexOf(' ');
  const status = reply.message.slice(0, space);
  const text = reply.message.slice(space + 1);
  if (reply.responseCode < 500) {
    const localStatus = errorCodeSpec(ingestError.code)?.localSetup === true ? LOCAL_SETUP_STATUS : status;
    return { exitCode: MAILHANDLER_EXIT.tempFail, line: `${localStatus} ${text} (${ingestError.code})` };
  }
  // A permanent refusal exits with the code's own status from the catalogue, else EX_UNAVAILABLE.
  return { exitCode: errorCodeSpec(ingestError.code)?.exit ?? MAILHANDLER_EXIT.unavailable, line: `${status} ${text} (${ingestError.code})` };
}

/** `2.0.0 Ok: queued as <job id>…`, the line Postfix logs with the delivery. */
export function mailhandlerOutcomeForResults(results: readonly AcceptResult[]): MailhandlerOutcome {
  return { exitCode: MAILHANDLER_EXIT.ok, line: acceptedReplyText(results) };
}
