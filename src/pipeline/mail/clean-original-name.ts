/** The most of a client-supplied file name we keep, in UTF-8 bytes (a common file-system limit). */
export const MAX_ORIGINAL_NAME_BYTES = 255;

/**
 * C0/C1 controls (NUL, CR, LF, ESC…) and the bidirectional formatting characters that make
 * `invoice\u202Efdp.exe` display as `invoiceexe.pdf`.
 */
const UNSAFE_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/**
 * A client-supplied name (attachment file name, content type) made safe to keep as data: unsafe
 * characters removed, trimmed, cut to `maxBytes` of UTF-8 without splitting a character.
 * Undefined when nothing is left. The result is never used to build a path.
 */
export function cleanOriginalName(raw: string | undefined, maxBytes = MAX_ORIGINAL_NAME_BYTES): string | undefined {
  if (raw === undefined) return undefined;
  // Only the head can survive the cut; bounding it first keeps a hostile megabyte name cheap.
  const cleaned = raw
    .slice(0, maxBytes * 2)
    .replace(UNSAFE_CHARACTERS, '')
    .trim();
  if (cleaned === '') return undefined;
  return truncateUtf8(cleaned, maxBytes);
}

/** The longest prefix of `text` whose UTF-8 encoding fits in `maxBytes`, whole code points only. */
export function truncateUtf8(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text) <= maxBytes) return text;
  let bytes = 0;
  let end = 0;
  for (const character of text) {
    const size = Buffer.byteLength(character);
    if (bytes + size > maxBytes) break;
    bytes += size;
    end += character.length;
  }
  return text.slice(0, end);
}
