import type { ArrivalFacts } from '../../../core/arrival-facts.js';

/** The group when the arrival names no grid. */
export const UNKNOWN_GRID_GROUP = 'unknown';

/**
 * group = grid (formats spec §3): the grid segment of the upload's key `<customer>/<grid>/<file>`.
 * Transports that know it pass it as the arrival's group; this is the fallback from the `key` hint.
 */
export function exportGroup(facts: Pick<ArrivalFacts, 'hints'>): string {
  const key = facts.hints['key'];
  if (key === undefined) return UNKNOWN_GRID_GROUP;
  const segments = key.split('/').filter((segment) => segment.length > 0);
  const grid = segments.length >= 3 ? segments[1] : undefined;
  return grid === undefined || grid.trim().length === 0 ? UNKNOWN_GRID_GROUP : grid.trim();
}
