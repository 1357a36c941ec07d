import { IngestError } from '../core/ingest-error.js';

const PERCENT_SEQUENCE = /%(?![0-9A-Fa-f]{2})/;
/** How much of a bad key an error message quotes; keys may be up to 1,024 bytes. */
const MAX_QUOTED_KEY_CHARS = 200;

/**
 * Decodes an object key as S3 event notifications carry it: URL-encoded form-style, so `+` is a
 * space and must be replaced before percent-decoding (a literal `+` arrives as `%2B`). MinIO also
 * encodes `/` as `%2F`. Percent-encoded bytes must form valid UTF-8.
 *
 * Throws `NOTIFICATION_MALFORMED` for a `%` not followed by two hex digits or bytes that are not
 * UTF-8: guessing would fetch the wrong object (or none).
 */
export function decodeObjectKey(encodedKey: string): string {
  const spaced = encodedKey.includes('+') ? encodedKey.replaceAll('+', ' ') : encodedKey;
  if (!spaced.includes('%')) return spaced;
  try {
    return decodeURIComponent(spaced);
  } catch (cause) {
    throw new IngestError('NOTIFICATION_MALFORMED', describeDecodeFailure(encodedKey), {
      cause,
      details: { encodedKey },
    });
  }
}

function describeDecodeFailure(encodedKey: string): string {
  const quoted = JSON.stringify(encodedKey.slice(0, MAX_QUOTED_KEY_CHARS));
  const badAt = encodedKey.search(PERCENT_SEQUENCE);
  if (badAt >= 0) {
    const sequence = JSON.stringify(encodedKey.slice(badAt, badAt + 3));
    return `object key ${quoted} has an invalid percent sequence ${sequence} at offset ${badAt}`;
  }
  return `object key ${quoted} has percent-encoded bytes that are not valid UTF-8`;
}
