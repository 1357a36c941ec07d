import type { RecipientCustomer } from '../routing/route-recipient.js';

export type FindCustomers = () => Promise<readonly RecipientCustomer[]>;

/**
 * Reuses the customer list for `ttlMs`, so a transaction with a hundred recipients (or a burst
 * of sessions) reads the table once. Concurrent callers share one read; a failed read is not
 * kept, so the next recipient tries again. `ttlMs` 0 reads every time.
 */
export function cachedCustomers(args: { readonly load: FindCustomers; readonly ttlMs: number; readonly now?: () => number }): FindCustomers {
  const now = args.now ?? Date.now;
  let cached: { readonly at: number; readonly value: Promise<readonly RecipientCustomer[]> } | undefined;
  return () => {
    if (cached !== undefined && now() - cached.at < args.ttlMs) return cached.value;
    const entry = { at: now(), value: args.load() };
    cached = entry;
    entry.value.catch(() => {
      if (cached === entry) cached = undefined;
    });
    return entry.value;
  };
}
