import type { SMTPServerSession } from 'smtp-server';
import type { AcceptResult } from '../pipeline/accept.js';

/** Keeps the 250 line well under RFC 5321's 512 bytes, however many customers got a job. */
const MAX_QUEUED_IDS_CHARS = 380;

/**
 * The envelope facts kept on a job (`sourceRef`): who handed the message over, as whom, and for
 * which of this customer's addresses. Behind a trusted relay `remoteAddress` is the original
 * client (from XCLIENT/XFORWARD) and `relayAddress` the relay itself.
 */
export function envelopeSourceRef(session: SMTPServerSession, recipients: readonly string[]): Record<string, unknown> {
  const mailFrom = session.envelope.mailFrom === false ? null : session.envelope.mailFrom.address;
  const relay = relayAddress(session);
  const user = (session.user as { username?: unknown } | undefined)?.username;
  // Postfix's queue id, as the mailhandler keeps it (XFORWARD IDENT: Postfix's smtp client, the relay fast path).
  const queueId = session.xForward.get('IDENT');
  return {
    mailFrom,
    rcptTo: [...recipients],
    remoteAddress: session.remoteAddress,
    ...(relay === undefined ? {} : { relayAddress: relay }),
    helo: typeof session.hostNameAppearsAs === 'string' ? session.hostNameAppearsAs : null,
    clientHostname: typeof session.clientHostname === 'string' ? session.clientHostname : null,
    secure: session.secure,
    ...(typeof user === 'string' ? { authenticatedAs: user } : {}),
    ...(typeof queueId === 'string' && queueId !== '' ? { postfixQueueId: queueId } : {}),
    sessionId: session.id,
    transaction: session.transaction,
  };
}

/** The relay that passed on the original client with XCLIENT/XFORWARD (only trusted relays may), if one did. */
function relayAddress(session: SMTPServerSession): string | undefined {
  const relay = session.xClient.get('ADDR:DEFAULT') ?? session.xForward.get('ADDR:DEFAULT');
  return typeof relay === 'string' && relay !== '' ? relay : undefined;
}

/**
 * Whether the host that connected is one of `trustedRelays` (the local Postfix): only then can the
 * message's Authentication-Results headers come from our own MTA. A client that reaches the
 * listener directly wrote every header itself, whatever authserv-id they name.
 */
export function connectedFromTrustedRelay(session: SMTPServerSession, trustedRelays: readonly string[]): boolean {
  return trustedRelays.includes(relayAddress(session) ?? session.remoteAddress);
}

/** `2.0.0 Ok: queued as <job id>[ <job id>…]`, one id per customer, shortened past the line limit. */
export function acceptedReplyText(results: readonly AcceptResult[]): string {
  const ids = [...new Set(results.map((result) => result.job.id))];
  const shown: string[] = [];
  let length = 0;
  for (const id of ids) {
    if (length + id.length + 1 > MAX_QUEUED_IDS_CHARS) break;
    shown.push(id);
    length += id.length + 1;
  }
  const more = ids.length - shown.length;
  return `2.0.0 Ok: queued as ${shown.join(' ')}${more > 0 ? ` and ${more} more` : ''}`;
}
