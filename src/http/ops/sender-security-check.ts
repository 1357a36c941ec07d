import type { Kysely } from 'kysely';
import type { Config } from '../../config/config-schema.js';
import { listSenderPolicies } from '../../db/customers-repository.js';
import type { Database } from '../../db/database-schema.js';
import { senderSecurityReport } from '../../routing/sender-security-report.js';

/** The `senders` entry of /readyz: always ok (the service works), with a warning an operator should act on. */
export interface SenderSecurityCheck {
  readonly ok: true;
  readonly requireSenderAllowList: boolean;
  /** Enabled customers without a sender allow-list; absent when the customers could not be read. */
  readonly withoutAllowList?: number;
  readonly warning?: string;
}

/**
 * Probes come every few seconds from every load balancer; customers change rarely. One read per
 * this long is fresh enough for a warning, and keeps /readyz at one trivial query.
 */
export const SENDER_CHECK_CACHE_MS = 10_000;

/**
 * The /readyz sender-security check (see senderSecurityReport), read at most once per
 * `SENDER_CHECK_CACHE_MS` and never waiting longer than `timeoutMs`. Concurrent probes share one
 * read; a failed read is not kept (the database check says why).
 */
export function senderSecurityCheck(args: {
  readonly db: Kysely<Database>;
  readonly smtp: Pick<Config['smtp'], 'requireSenderAllowList' | 'trustedAuthservIds'>;
  readonly timeoutMs: number;
  readonly now?: () => number;
}): () => Promise<SenderSecurityCheck> {
  const now = args.now ?? Date.now;
  const { requireSenderAllowList, trustedAuthservIds } = args.smtp;
  let cached: { readonly at: number; readonly value: Promise<SenderSecurityCheck> } | undefined;

  async function read(): Promise<SenderSecurityCheck> {
    const report = senderSecurityReport({ customers: await listSenderPolicies(args.db), requireSenderAllowList, trustedAuthservIds });
    return {
      ok: true,
      requireSenderAllowList,
      withoutAllowList: report.withoutAllowList.length,
      ...(report.warning === undefined ? {} : { warning: report.warning }),
    };
  }

  return async () => {
    if (cached === undefined || now() - cached.at >= SENDER_CHECK_CACHE_MS) {
      const entry = { at: now(), value: read() };
      cached = entry;
      entry.value.catch(() => {
        if (cached === entry) cached = undefined;
      });
    }
    try {
      return await withinMs(cached.value, args.timeoutMs);
    } catch (error) {
      return { ok: true, requireSenderAllowList, warning: `sender allow-lists not checked: ${(error as Error).message}` };
    }
  };
}

async function withinMs<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
