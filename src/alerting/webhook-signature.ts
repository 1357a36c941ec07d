import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** The headers every webhook delivery carries (docs/alerts.md, "Verifying a webhook"). */
export const SIGNATURE_HEADER = 'X-DataProcessor-Signature';
export const EVENT_ID_HEADER = 'X-DataProcessor-Event-Id';
export const EVENT_TYPE_HEADER = 'X-DataProcessor-Event';
export const DELIVERY_ID_HEADER = 'X-DataProcessor-Delivery';

/** How old a signature a receiver should still accept: long enough for clock skew, short enough to stop replays. */
export const DEFAULT_TOLERANCE_SECONDS = 300;
/** A generated secret: 32 random bytes, as Stripe's `whsec_` keys. */
const SECRET_BYTES = 32;

/** A new webhook secret (`whsec_` + 43 base64url characters). */
export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(SECRET_BYTES).toString('base64url')}`;
}

/**
 * `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`. The timestamp is signed with
 * the body, so a captured request cannot be replayed later with a fresh timestamp; each attempt
 * signs anew with its own time.
 */
export function signWebhook(args: { readonly secret: string; readonly body: string; readonly timestampSeconds: number }): string {
  const t = Math.floor(args.timestampSeconds);
  return `t=${t},v1=${hmacHex(args.secret, `${t}.${args.body}`)}`;
}

export type SignatureCheck = { readonly valid: true; readonly timestampSeconds: number } | { readonly valid: false; readonly reason: string };

/**
 * A receiver's check, as docs/alerts.md describes it (for receivers written in Node, and for our
 * tests): the header parses, its timestamp is within `toleranceSeconds` of now, and one of its v1
 * signatures matches the raw body (compared in constant time).
 */
export function verifyWebhookSignature(args: {
  readonly secret: string;
  readonly body: string;
  readonly header: string | undefined;
  readonly nowSeconds?: number;
  readonly toleranceSeconds?: number;
}): SignatureCheck {
  const header = args.header ?? '';
  const fields = header.split(',').map((part) => part.trim().split('=', 2) as [string, string | undefined]);
  const timestamp = Number(fields.find(([name]) => name === 't')?.[1]);
  const signatures = fields.filter(([name, value]) => name === 'v1' && value !== undefined).map(([, value]) => value!);
  if (!Number.isInteger(timestamp) || signatures.length === 0) return { valid: false, reason: 'no t= and v1= in the signature header' };
  const now = args.nowSeconds ?? Date.now() / 1000;
  if (Math.abs(now - timestamp) > (args.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS)) return { valid: false, reason: 'timestamp outside the tolerance' };
  const expected = Buffer.from(hmacHex(args.secret, `${timestamp}.${args.body}`), 'utf8');
  const matches = signatures.some((signature) => {
    const given = Buffer.from(signature, 'utf8');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  return matches ? { valid: true, timestampSeconds: timestamp } : { valid: false, reason: 'no signature matches' };
}

function hmacHex(secret: string, payload: string): string {
  return createHmac('sha256', secret).update(payload, 'utf8').digest('hex');
}
