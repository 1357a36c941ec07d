/**
 * Mail clients and gateways decorate subjects (`RE:`, `FW:`, `Fwd:`, `AW:`, `[EXT]` …) and long
 * subjects arrive folded. Matching works on the normalised form so a forwarded report still
 * classifies. Prefixes are listed here, in one place, so a new gateway tag is a one-line change.
 */
const SUBJECT_PREFIX =
  /^(?:(?:re|fw|fwd|aw|wg|sv|vs|tr|antw|rif)\s*(?:\[\d+\]|\(\d+\))?\s*:|\[(?:ext|external)\]|\(ext(?:ernal)?\)|ext\s*:|\*+\s*external\s*\*+)\s*/i;

/** Stops a hostile subject made of thousands of prefixes from costing more than it is worth. */
const MAX_PREFIXES_STRIPPED = 50;

export function normalizeSubject(subject: string): string {
  // \s covers the CRLF + WSP of a folded header as well as tabs and runs of spaces.
  let normalized = subject.replace(/\s+/g, ' ').trim();
  for (let stripped = 0; stripped < MAX_PREFIXES_STRIPPED; stripped += 1) {
    const prefix = SUBJECT_PREFIX.exec(normalized);
    if (prefix === null || prefix[0].length === 0) break;
    normalized = normalized.slice(prefix[0].length);
  }
  return normalized;
}
