import { IngestError } from '../core/ingest-error.js';
import type { SenderAuthRequirement } from '../core/sender-auth-requirement.js';

/** What recipient routing and the sender check need to know about a customer. */
export interface RecipientCustomer {
  readonly slug: string;
  /** Full addresses, in any domain (they need not be one of the ingest domains). */
  readonly ingestAddresses: readonly string[];
  /** Patterns as documented on `senderAllowed`; empty = any sender. */
  readonly allowedSenders: readonly string[];
  /** A disabled customer (data kept, arrivals refused): its recipients are refused with `CUSTOMER_DISABLED`. */
  readonly disabled?: boolean;
  /** The verdict its mail must carry (checked after DATA, see checkSenderAuthentication); null or absent = none. */
  readonly requireSenderAuth?: SenderAuthRequirement | null;
}

/** RFC 5321 path limit: the most of an address an error message quotes. */
const MAX_QUOTED_ADDRESS_CHARS = 256;

/**
 * Maps an envelope recipient to the customer slug. Domains compare case-insensitively and the
 * local part is compared lower-cased, with no other rewriting (no dot or plus stripping beyond
 * the rule below). In order:
 * 1. an address listed in a customer's `ingestAddresses`; when another customer also lists it,
 *    or its local part or `+tag` (in an ingest domain) is another customer's slug, the route is
 *    ambiguous and the recipient is refused with `RECIPIENT_AMBIGUOUS` (transient: 451);
 * 2. in one of `ingestDomains`: `<slug>@domain`;
 * 3. in one of `ingestDomains`: `<anything>+<slug>@domain` (the part after the last `+`).
 *
 * Throws `RECIPIENT_UNKNOWN` (550 5.1.1) for any other local part in our domains and
 * `RELAY_DENIED` (550 5.7.1) for any other domain: we are never an open relay.
 */
export function routeRecipient(args: {
  readonly address: string;
  readonly customers: readonly RecipientCustomer[];
  readonly ingestDomains: readonly string[];
}): string {
  const { address, customers } = args;
  const parts = splitAddress(address);
  if (parts === undefined) {
    throw recipientError('RECIPIENT_UNKNOWN', `recipient ${quote(address)} is not a complete address (local@domain)`, address);
  }
  const { local, domain } = parts;
  const claimants = addressClaimants({ address, customers, ingestDomains: args.ingestDomains });
  if (claimants.listed.length > 0) {
    // Two customers own this address (data written before routes were unique): the mail is
    // refused for now (451, the sender retries) rather than handed to whichever comes first.
    if (claimants.all.length > 1) throw ambiguousRecipient(address, claimants.all);
    return claimants.all[0]!;
  }

  if (!args.ingestDomains.some((ingestDomain) => normalizeDomain(ingestDomain) === domain)) {
    throw recipientError(
      'RELAY_DENIED',
      `relay access denied: domain ${JSON.stringify(domain.slice(0, MAX_QUOTED_ADDRESS_CHARS))} is not an ingest domain`,
      address,
    );
  }
  const bySlug = findBySlug(customers, local);
  if (bySlug !== undefined) return bySlug.slug;
  const plusAt = local.lastIndexOf('+');
  const bySubaddress = plusAt < 0 ? undefined : findBySlug(customers, local.slice(plusAt + 1));
  if (bySubaddress !== undefined) return bySubaddress.slug;
  throw recipientError('RECIPIENT_UNKNOWN', `recipient ${quote(address)} is not a known ingest address`, address);
}

/**
 * Whether `sender` (the envelope MAIL FROM) may send to a customer with these patterns:
 * - `user@example.com`: exactly that address (case-insensitive);
 * - `@example.com` or `example.com`: any address at exactly that domain;
 * - `*.example.com` or `@*.example.com`: any address at a subdomain of example.com, at any depth,
 *   but not example.com itself (list `@example.com` too for that).
 * An empty list allows every sender. The null sender (`<>`, bounces and auto-replies; pass `''`,
 * `'<>'` or null) is allowed only by an empty list, since it names no one a pattern could match.
 */
export function senderAllowed(args: { readonly sender: string | null; readonly allowedSenders: readonly string[] }): boolean {
  const { allowedSenders } = args;
  if (allowedSenders.length === 0) return true;
  const parts = args.sender === null ? undefined : splitAddress(args.sender);
  if (parts === undefined) return false;
  const address = `${parts.local}@${parts.domain}`;
  return allowedSenders.some((pattern) => senderMatches(pattern, parts.domain, address));
}

function senderMatches(rawPattern: string, domain: string, address: string): boolean {
  const pattern = rawPattern.trim().toLowerCase();
  const wildcard = pattern.startsWith('@*.') ? pattern.slice(2) : pattern.startsWith('*.') ? pattern.slice(1) : undefined;
  if (wildcard !== undefined) {
    const suffix = normalizeDomain(wildcard);
    return suffix.length > 1 && domain.endsWith(suffix) && domain.length > suffix.length;
  }
  if (pattern.startsWith('@')) return domain === normalizeDomain(pattern.slice(1));
  if (pattern.includes('@')) return address === normalizeAddress(pattern);
  return pattern !== '' && domain === normalizeDomain(pattern);
}

/**
 * Who the address would route to by each rule: the customers listing it, and (in an ingest
 * domain) the customer whose slug is its local part or its `+tag`. More than one slug in `all`
 * means the route is ambiguous.
 */
export function addressClaimants(args: {
  readonly address: string;
  readonly customers: readonly Pick<RecipientCustomer, 'slug' | 'ingestAddresses'>[];
  readonly ingestDomains: readonly string[];
}): { readonly listed: readonly string[]; readonly all: readonly string[] } {
  const parts = splitAddress(args.address);
  if (parts === undefined) return { listed: [], all: [] };
  const { local, domain } = parts;
  const wanted = `${local}@${domain}`;
  const listed = args.customers
    .filter((customer) => customer.ingestAddresses.some((listedAddress) => normalizeAddress(listedAddress) === wanted))
    .map((customer) => customer.slug);
  const all = new Set(listed);
  if (args.ingestDomains.some((ingestDomain) => normalizeDomain(ingestDomain) === domain)) {
    const plusAt = local.lastIndexOf('+');
    for (const part of plusAt < 0 ? [local] : [local, local.slice(plusAt + 1)]) {
      const bySlug = findBySlug(args.customers, part);
      if (bySlug !== undefined) all.add(bySlug.slug);
    }
  }
  return { listed, all: [...all] };
}

function findBySlug<T extends Pick<RecipientCustomer, 'slug'>>(customers: readonly T[], localPart: string): T | undefined {
  if (localPart === '') return undefined;
  return customers.find((customer) => customer.slug.toLowerCase() === localPart);
}

/** Lower-cased local part and domain, or undefined for a null or incomplete address. */
function splitAddress(raw: string): { readonly local: string; readonly domain: string } | undefined {
  const address = raw.trim().replace(/^<(.*)>$/, '$1');
  const at = address.lastIndexOf('@');
  if (at <= 0) return undefined;
  const domain = normalizeDomain(address.slice(at + 1));
  if (domain === '') return undefined;
  return { local: address.slice(0, at).toLowerCase(), domain };
}

/** The form routes compare: lower-cased, without angle brackets or the domain's trailing dot. */
export function normalizeAddress(raw: string): string {
  const parts = splitAddress(raw);
  return parts === undefined ? raw.trim().toLowerCase() : `${parts.local}@${parts.domain}`;
}

/** Lower-cased, without the root's trailing dot (`example.com.` is `example.com`). */
function normalizeDomain(domain: string): string {
  const lower = domain.trim().toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

function quote(address: string): string {
  return `<${address
    .trim()
    .replace(/^<(.*)>$/, '$1')
    .slice(0, MAX_QUOTED_ADDRESS_CHARS)}>`;
}

function ambiguousRecipient(address: string, customers: readonly string[]): IngestError {
  const names = [...customers]
    .sort()
    .map((slug) => JSON.stringify(slug))
    .join(' and ');
  // Not exposed: the sender must not learn customer names; the log and the job record get them.
  return new IngestError('RECIPIENT_AMBIGUOUS', `recipient ${quote(address)} is routed to customers ${names}; refused until an admin gives it to one of them`, {
    details: { address, customers: [...customers].sort() },
  });
}

function recipientError(code: 'RECIPIENT_UNKNOWN' | 'RELAY_DENIED', message: string, address: string): IngestError {
  return new IngestError(code, message, { details: { address } });
}
