/**
 * SQL conditions of "the newest observation wins", over an upsert's `existing` and `excluded`
 * rows (constant SQL, spliced into merges). Each compares `observed_at`, the generation time of the
 * export a row came from; an unknown time (NULL) sorts before every known one, and two unknown
 * times tie.
 */
function observed(row: 'existing' | 'excluded'): string {
  return `coalesce(${row}.observed_at, '-infinity'::timestamptz)`;
}

/** The incoming export is at least as new as the one the stored row came from. */
export const OBSERVED_NO_EARLIER = `${observed('excluded')} >= ${observed('existing')}`;

/** The incoming export is newer than the one the stored row came from. */
export const OBSERVED_LATER = `${observed('excluded')} > ${observed('existing')}`;

/** Both come from exports of the same time (or both of unknown time). */
export const OBSERVED_SAME = `${observed('excluded')} = ${observed('existing')}`;
