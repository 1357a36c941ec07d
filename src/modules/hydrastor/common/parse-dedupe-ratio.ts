/** `14.90`, `14.9 : 1`, `14.9:1` or `14.9x`: the N of "N : 1". */
const DEDUPE_RATIO = /^(\d+(?:\.\d+)?)\s*(?::\s*1(?:\.0*)?|x)?$/i;

export function parseDedupeRatio(text: string): number | null {
  const match = DEDUPE_RATIO.exec(text.trim());
  if (match === null) return null;
  const ratio = Number(match[1]);
  return Number.isFinite(ratio) ? ratio : null;
}
