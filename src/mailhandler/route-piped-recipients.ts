import type { RecipientCustomer } from '../routing/route-recipient.js';
import { checkRecipient } from '../smtp/check-recipient.js';

/**
 * The RCPT TO decisions of the SMTP listener, for every recipient of a piped delivery at once:
 * customer slug → that customer's recipient addresses, in first-seen order. All or nothing:
 * the first refusal (`RECIPIENT_UNKNOWN`, `RELAY_DENIED`, `SENDER_NOT_ALLOWED`, `SENDER_ALLOW_LIST_MISSING`) is thrown,
 * because pipe(8) has one exit status for the whole delivery; with
 * `dataprocessor_destination_recipient_limit = 1` (docs/operations.md) a delivery has one recipient.
 */
export function routePipedRecipients(args: {
  readonly sender: string | null;
  readonly recipients: readonly string[];
  readonly customers: readonly RecipientCustomer[];
  readonly ingestDomains: readonly string[];
  readonly requireSenderAllowList: boolean;
}): ReadonlyMap<string, readonly string[]> {
  const byCustomer = new Map<string, string[]>();
  for (const address of args.recipients) {
    const customer = checkRecipient({
      address,
      sender: args.sender,
      customers: args.customers,
      ingestDomains: args.ingestDomains,
      requireSenderAllowList: args.requireSenderAllowList,
    });
    byCustomer.set(customer, [...(byCustomer.get(customer) ?? []), address]);
  }
  return byCustomer;
}
