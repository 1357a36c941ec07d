import { IngestError } from '../../../core/ingest-error.js';

/** What a decoder writes for bytes that are not valid in the charset it was told (or assumed). */
const REPLACEMENT_CHARACTER = '\uFFFD';
/** Enough of a damaged value to recognise it in the error. */
const MAX_SHOWN_CHARS = 80;

/** Where a parsed record holds U+FFFD: a JSON-like path (`nodes[2].name`) and the value there. */
export interface UndecodedText {
  readonly path: string;
  readonly value: string;
}

/**
 * The first string (or object key) of a parsed record that holds U+FFFD, depth first; undefined
 * when there is none. Dates, numbers and bigints are skipped; so is `issues`, the parser's own
 * remarks, which quote what they complain about and are never stored as data.
 */
export function findUndecodedText(value: unknown, path = ''): UndecodedText | undefined {
  if (typeof value === 'string') return value.includes(REPLACEMENT_CHARACTER) ? { path: path || '(value)', value } : undefined;
  if (value === null || typeof value !== 'object' || value instanceof Date) return undefined;
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) {
      const found = findUndecodedText(item, `${path}[${index}]`);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  const entries = value instanceof Map ? [...value.entries()] : Object.entries(value);
  for (const [key, item] of entries) {
    if (key === 'issues') continue;
    const keyPath = path === '' ? String(key) : `${path}.${String(key)}`;
    if (typeof key === 'string' && key.includes(REPLACEMENT_CHARACTER)) return { path: keyPath, value: key };
    const found = findUndecodedText(item, keyPath);
    if (found !== undefined) return found;
  }
  return undefined;
}

/**
 * Refuses a parsed record that holds U+FFFD anywhere it would be stored: the text it came from
 * was not valid in its declared charset (a missing or wrong charset, an unknown one, or 8-bit
 * bytes in a header without RFC 2047 encoding), and a grid or node name like `K\uFFFDhlschrank`
 * would be a silently altered value. Text in a declared charset (ISO-8859-1, windows-1252, …)
 * is decoded to UTF-8 by the mail transport and never gets here. The job fails with
 * HYDRASTOR_TEXT_UNDECODABLE and a person looks at the original, which is kept.
 */
export function refuseUndecodedText(args: { readonly record: unknown; readonly source: string }): void {
  const found = findUndecodedText(args.record);
  if (found === undefined) return;
  const shown = found.value.length > MAX_SHOWN_CHARS ? `${found.value.slice(0, MAX_SHOWN_CHARS)}…` : found.value;
  throw new IngestError(
    'HYDRASTOR_TEXT_UNDECODABLE',
    `${args.source} holds text that could not be decoded (U+FFFD in ${found.path}: ${JSON.stringify(shown)}): its charset is missing, wrong or unknown; nothing was loaded`,
    { details: { source: args.source, path: found.path, value: shown } },
  );
}
