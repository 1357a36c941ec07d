import type { SenderAuthRequirement } from '../core/sender-auth-requirement.js';

/** What the report needs to know of one enabled customer. */
export interface SenderPolicy {
  readonly slug: string;
  readonly allowedSenders: readonly string[];
  readonly requireSenderAuth: SenderAuthRequirement | null;
}

export interface SenderSecurityReport {
  /** Customers without a sender allow-list: they take mail from anyone, or none while `requireSenderAllowList` is on. */
  readonly withoutAllowList: readonly string[];
  /** Customers that require a verdict while no authserv-id is trusted: every mail to them is refused. */
  readonly unverifiableAuth: readonly string[];
  /** One line for the start-up log and /readyz; undefined when there is nothing to say. */
  readonly warning?: string;
}

/** A warning names this many customers, then counts the rest: a log line and a probe answer stay short. */
const MAX_NAMED_CUSTOMERS = 20;

/**
 * The seed's "[SECURITY] Any source sender is allowed", per customer: who still takes mail from
 * any sender (an empty allow-list), and who refuses all mail by a setting that cannot be met. The
 * service stays ready either way; this is what an operator should see and fix.
 */
export function senderSecurityReport(args: {
  readonly customers: readonly SenderPolicy[];
  readonly requireSenderAllowList: boolean;
  readonly trustedAuthservIds: readonly string[];
}): SenderSecurityReport {
  const withoutAllowList = args.customers.filter((customer) => customer.allowedSenders.length === 0).map((customer) => customer.slug);
  const unverifiableAuth =
    args.trustedAuthservIds.length > 0 ? [] : args.customers.filter((customer) => customer.requireSenderAuth !== null).map((customer) => customer.slug);
  const parts: string[] = [];
  if (withoutAllowList.length > 0) {
    parts.push(
      args.requireSenderAllowList
        ? `customers refusing all mail (no sender allow-list, and smtp.requireSenderAllowList is on): ${names(withoutAllowList)}`
        : `customers accepting any sender (no sender allow-list): ${names(withoutAllowList)}`,
    );
  }
  if (unverifiableAuth.length > 0) {
    parts.push(`customers refusing all mail (requireSenderAuth is set, but smtp.trustedAuthservIds is empty): ${names(unverifiableAuth)}`);
  }
  return { withoutAllowList, unverifiableAuth, ...(parts.length === 0 ? {} : { warning: parts.join('; ') }) };
}

function names(slugs: readonly string[]): string {
  const shown = slugs.slice(0, MAX_NAMED_CUSTOMERS).join(', ');
  return slugs.length > MAX_NAMED_CUSTOMERS ? `${shown} and ${slugs.length - MAX_NAMED_CUSTOMERS} more` : shown;
}
