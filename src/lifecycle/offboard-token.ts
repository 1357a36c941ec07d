import { createHash, timingSafeEqual } from 'node:crypto';

/** How long a dry run's confirmation stays good: long enough to read it, short enough to be current. */
export const OFFBOARD_TOKEN_TTL_SECONDS = 15 * 60;

/**
 * The confirmation a purge needs: `<expiry in epoch seconds>.<SHA-256 of the slug, the expiry
 * and the row counts>`. It proves the caller saw a dry run of exactly this data recently, so a
 * purge never removes more than was shown; it is not a credential (the admin key is). The purge
 * recounts under its locks and rebuilds the token with the same expiry: any change since the dry
 * run (a new arrival, a finished job) makes it differ.
 */
export function offboardToken(args: { readonly slug: string; readonly counts: Readonly<Record<string, number>>; readonly expiresAt: Date }): string {
  const expiry = Math.floor(args.expiresAt.getTime() / 1000);
  return `${expiry}.${digest(args.slug, expiry, args.counts)}`;
}

export type OffboardTokenCheck = 'valid' | 'malformed' | 'expired' | 'stale';

export function checkOffboardToken(
  token: string,
  args: { readonly slug: string; readonly counts: Readonly<Record<string, number>>; readonly now: Date },
): OffboardTokenCheck {
  const match = /^(\d{1,12})\.([A-Za-z0-9_-]{43})$/.exec(token);
  if (match === null) return 'malformed';
  const expiry = Number(match[1]);
  if (expiry * 1000 < args.now.getTime()) return 'expired';
  const expected = Buffer.from(digest(args.slug, expiry, args.counts));
  const given = Buffer.from(match[2]!);
  return expected.length === given.length && timingSafeEqual(expected, given) ? 'valid' : 'stale';
}

function digest(slug: string, expiry: number, counts: Readonly<Record<string, number>>): string {
  const sorted = Object.entries(counts).sort(([a], [b]) => a.localeCompare(b));
  return createHash('sha256')
    .update(JSON.stringify(['offboard-v1', slug, expiry, sorted]))
    .digest('base64url');
}
