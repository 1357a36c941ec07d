import { IngestError } from '../core/ingest-error.js';
import { routeRecipient, senderAllowed, type RecipientCustomer } from '../routing/route-recipient.js';

/** The most of an address a reply quotes (RFC 5321 path limit). */
const MAX_QUOTED_ADDRESS_CHARS = 256;

export interface CheckRecipientArgs {
  readonly address: string;
  /** Envelope MAIL FROM; '' or null for the null sender. */
  readonly sender: string | null;
  readonly customers: readonly RecipientCustomer[];
  readonly ingestDomains: readonly string[];
  /** Set for an AUTHenticated session: null = a user not bound to one customer. */
  readonly authenticated?: { readonly customer: string | null };
  /** `smtp.requireSenderAllowList`: a customer without allowed senders takes no mail (instead of anyone's). */
  readonly requireSenderAllowList?: boolean;
}

/**
 * The RCPT TO decision: the customer slug this recipient delivers to, or an IngestError whose
 * code maps to the reply (`RECIPIENT_UNKNOWN` 550 5.1.1, `RELAY_DENIED` 550 5.7.1,
 * `SENDER_NOT_ALLOWED` 550 5.7.1, `SENDER_ALLOW_LIST_MISSING` 550 5.7.1, `CUSTOMER_DISABLED` 550 5.2.1).
 *
 * An AUTHenticated session skips the customers' sender allow-lists (a password is stronger
 * proof than an envelope address anyone can write), but a user bound to a customer may deliver
 * to that customer only.
 */
export function checkRecipient(args: CheckRecipientArgs): string {
  const slug = routeRecipient({ address: args.address, customers: args.customers, ingestDomains: args.ingestDomains });
  if (args.customers.find((customer) => customer.slug === slug)?.disabled === true) {
    throw new IngestError('CUSTOMER_DISABLED', `recipient ${quote(args.address)} is disabled`, { expose: true, details: { address: args.address } });
  }
  if (args.authenticated !== undefined) {
    if (args.authenticated.customer !== null && args.authenticated.customer !== slug) {
      throw new IngestError('SENDER_NOT_ALLOWED', `the authenticated user may not send to ${quote(args.address)}`, { details: { address: args.address } });
    }
    return slug;
  }
  const allowedSenders = args.customers.find((customer) => customer.slug === slug)?.allowedSenders ?? [];
  if (allowedSenders.length === 0 && args.requireSenderAllowList === true) {
    throw new IngestError(
      'SENDER_ALLOW_LIST_MISSING',
      `recipient ${quote(args.address)} has no sender allow-list, and this server takes mail only from listed senders`,
      {
        details: { address: args.address, customer: slug },
      },
    );
  }
  if (!senderAllowed({ sender: args.sender, allowedSenders })) {
    throw new IngestError('SENDER_NOT_ALLOWED', `sender ${quote(args.sender ?? '')} is not allowed to send to ${quote(args.address)}`, {
      details: { address: args.address, sender: args.sender },
    });
  }
  return slug;
}

function quote(address: string): string {
  return `<${address.slice(0, MAX_QUOTED_ADDRESS_CHARS)}>`;
}
