import type { PurgeTally } from '../db/purge-runs-repository.js';

/** Running totals of a purge, per customer and kind. */
export class PurgeTallies {
  readonly #byKey = new Map<string, { customer: string; kind: string; count: number; bytes: number }>();

  add(args: { readonly customer: string; readonly kind: string; readonly bytes: number }): void {
    const key = `${args.customer}\u0000${args.kind}`;
    const tally = this.#byKey.get(key) ?? { customer: args.customer, kind: args.kind, count: 0, bytes: 0 };
    tally.count += 1;
    tally.bytes += args.bytes;
    this.#byKey.set(key, tally);
  }

  /** Sorted by customer, then kind, so two reports compare line by line. */
  list(): PurgeTally[] {
    return [...this.#byKey.values()].map((tally) => ({ ...tally })).sort((a, b) => a.customer.localeCompare(b.customer) || a.kind.localeCompare(b.kind));
  }

  totals(): { readonly count: number; readonly bytes: number } {
    let count = 0;
    let bytes = 0;
    for (const tally of this.#byKey.values()) {
      count += tally.count;
      bytes += tally.bytes;
    }
    return { count, bytes };
  }
}
