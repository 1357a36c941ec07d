/** Half of a UTF-16 surrogate pair with no other half beside it. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const ANY_SURROGATE = /[\uD800-\uDFFF]/;

/**
 * Text as PostgreSQL will store it: without NUL (text and jsonb refuse it) and with every lone
 * surrogate as U+FFFD. A lone surrogate comes from a cut between the halves of a character
 * outside the BMP (an emoji) or from a damaged UTF-16 file; JSON.stringify writes it as `\ud83d`,
 * which jsonb refuses, and that would fail the whole job's transaction.
 */
export function storableText(text: string): string {
  const clean = text.includes('\0') ? text.replaceAll('\0', '') : text;
  return ANY_SURROGATE.test(clean) ? clean.replace(LONE_SURROGATE, '\uFFFD') : clean;
}

/** At most `max` characters, cut on a whole character, `…` marking a cut. */
export function cutText(text: string, max: number): string {
  const clean = storableText(text);
  if (clean.length <= max) return clean;
  let end = max - 1;
  const last = clean.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1; // keep a pair whole: drop its first half too
  return `${clean.slice(0, end)}…`;
}
