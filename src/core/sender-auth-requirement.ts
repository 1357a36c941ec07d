/**
 * What a customer may require of a mail's sender, judged from the Authentication-Results headers
 * of hosts we trust (`smtp.trustedAuthservIds`): `spf`, `dkim` or `dmarc` need that method's
 * `pass`; `any` needs a `pass` of at least one of the three. `null` (the default) requires nothing.
 * ARC is recorded but never enough on its own: it vouches for a forwarder, not for the sender.
 */
export const SENDER_AUTH_REQUIREMENTS = ['spf', 'dkim', 'dmarc', 'any'] as const;
export type SenderAuthRequirement = (typeof SENDER_AUTH_REQUIREMENTS)[number];

export function isSenderAuthRequirement(value: unknown): value is SenderAuthRequirement {
  return typeof value === 'string' && (SENDER_AUTH_REQUIREMENTS as readonly string[]).includes(value);
}
