import { addressClaimants, normalizeAddress } from './route-recipient.js';

/** What decides where a customer's data goes: its slug, its listed addresses and its S3 prefixes. */
export interface RoutedCustomer {
  readonly slug: string;
  readonly ingestAddresses: readonly string[];
  readonly s3Prefixes: readonly string[];
}

/** One route that more than one customer holds: mail or objects for it would go to one of them silently. */
export interface RouteClash {
  readonly kind: 'address' | 's3Prefix';
  /** The address (normalized) or the S3 prefix (without surrounding slashes). */
  readonly route: string;
  /** The slugs holding it, sorted. */
  readonly customers: readonly string[];
}

/**
 * Every ambiguous route among `customers`: an address listed by two customers; an address in an
 * ingest domain whose local part or `+tag` is another customer's slug (`krusty_krab@…` or
 * `x+krusty_krab@…` listed by Bob would take Krusty's mail); an S3 prefix given to two
 * customers. Used before a customer is written (409) and when routes are loaded (the log).
 */
export function findRouteClashes(args: { readonly customers: readonly RoutedCustomer[]; readonly ingestDomains: readonly string[] }): RouteClash[] {
  const clashes: RouteClash[] = [];
  const seenAddresses = new Set<string>();
  for (const customer of args.customers) {
    for (const listed of customer.ingestAddresses) {
      const address = normalizeAddress(listed);
      if (seenAddresses.has(address)) continue;
      seenAddresses.add(address);
      const { all } = addressClaimants({ address, customers: args.customers, ingestDomains: args.ingestDomains });
      if (all.length > 1) clashes.push({ kind: 'address', route: address, customers: [...all].sort() });
    }
  }
  const prefixHolders = new Map<string, Set<string>>();
  for (const customer of args.customers) {
    for (const prefix of customer.s3Prefixes) {
      const route = normalizeS3Prefix(prefix);
      const holders = prefixHolders.get(route) ?? new Set<string>();
      holders.add(customer.slug);
      prefixHolders.set(route, holders);
    }
  }
  for (const [route, holders] of prefixHolders) {
    if (holders.size > 1) clashes.push({ kind: 's3Prefix', route, customers: [...holders].sort() });
  }
  return clashes;
}

/** `uploads/bobs/`, `/uploads/bobs` and `uploads/bobs` are one prefix; case matters (S3 keys are case-sensitive). */
export function normalizeS3Prefix(prefix: string): string {
  return prefix.trim().replace(/^\/+|\/+$/g, '');
}

/** One line for the log or a 409: which route, held by whom. */
export function describeRouteClash(clash: RouteClash): string {
  const what = clash.kind === 'address' ? `ingest address ${JSON.stringify(clash.route)}` : `S3 prefix ${JSON.stringify(clash.route)}`;
  return `${what} is routed to customers ${clash.customers.map((slug) => JSON.stringify(slug)).join(' and ')}`;
}
