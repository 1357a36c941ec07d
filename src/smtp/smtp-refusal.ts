import type { SMTPServerSession } from 'smtp-server';
import type { RefusedArrival } from '../core/refused-arrival.js';
import type { IngestError } from '../core/ingest-error.js';
import { routeRecipient, type RecipientCustomer } from '../routing/route-recipient.js';
import type { SmtpReply } from './reply-for-error.js';

/** The record of one refused SMTP exchange (src/core/refused-arrival.ts), from what the session knows. */
export function smtpRefusal(args: {
  readonly session: SMTPServerSession;
  readonly stage: 'connection' | 'MAIL FROM' | 'RCPT TO' | 'DATA';
  readonly error: IngestError;
  readonly reply: SmtpReply;
  readonly recipients?: readonly string[];
  readonly customer?: string | null;
  readonly sizeBytes?: number | null;
}): RefusedArrival {
  const { session, error, reply } = args;
  const mailFrom = session.envelope.mailFrom;
  return {
    source: 'smtp',
    stage: args.stage,
    code: error.code,
    message: error.message,
    reply: `${reply.responseCode} ${reply.message}`,
    customer: args.customer ?? null,
    sender: mailFrom === false ? null : mailFrom.address,
    recipients: args.recipients ?? session.envelope.rcptTo.map((recipient) => recipient.address),
    sizeBytes: args.sizeBytes ?? null,
    clientAddress: session.remoteAddress,
    clientName: session.clientHostname ?? null,
    details: { sessionId: session.id, ...(session.hostNameAppearsAs === undefined ? {} : { helo: session.hostNameAppearsAs }) },
  };
}

/**
 * A refusal at connection, MAIL FROM or RCPT TO, with the customer a refused recipient was meant
 * for when routing knows it (a sender not allowed, a disabled customer), so a customer's key sees it.
 */
export async function refusalWithCustomer(args: {
  readonly session: SMTPServerSession;
  readonly stage: 'connection' | 'MAIL FROM' | 'RCPT TO';
  readonly error: IngestError;
  readonly reply: SmtpReply;
  readonly recipient: string | undefined;
  readonly customers: () => Promise<readonly RecipientCustomer[]>;
  readonly ingestDomains: readonly string[];
}): Promise<RefusedArrival> {
  const { recipient } = args;
  let customer: string | null = null;
  if (recipient !== undefined) {
    try {
      customer = routeRecipient({ address: recipient, customers: await args.customers(), ingestDomains: args.ingestDomains });
    } catch {
      customer = null;
    }
  }
  return smtpRefusal({ ...args, customer, ...(recipient === undefined ? {} : { recipients: [recipient] }) });
}
