import type { HydrastorAlert } from './alert-types.js';

/** The job's group: the node, or the grid name for grid-wide events. */
export function alertGroup(alert: Pick<HydrastorAlert, 'node' | 'grid'>): string {
  return alert.node ?? alert.grid;
}
