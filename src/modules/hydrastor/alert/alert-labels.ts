import { labelTable } from '../../shared/text/normalize-label.js';
import type { AlertEventType } from './alert-types.js';

/**
 * Alert body labels (formats spec §2) → fields. Table-driven so a label seen in a real mail is a
 * one-line addition; compared case- and space-insensitively.
 */
export const ALERT_LABELS = labelTable({
  grid: ['System Name', 'Grid Name'],
  serial: ['System Serial Number', 'Serial Number', 'System S/N', 'S/N'],
  eventId: ['Event ID', 'Event Code'],
  severity: ['Severity', 'Level'],
  eventType: ['Event Type'],
  occurredAt: ['Date/Time', 'Date Time', 'Occurred At', 'Time'],
  node: ['Node', 'Node Name'],
  component: ['Component'],
  message: ['Message', 'Description'],
  recommendedAction: ['Recommended Action', 'Action'],
  clearsEventId: ['Clears Event ID', 'Cleared Event ID', 'Clears'],
});

export type AlertField = typeof ALERT_LABELS extends ReadonlyMap<string, infer Field> ? Field : never;

export const EVENT_TYPES: ReadonlyMap<string, AlertEventType> = new Map([
  ['occurred', 'Occurred'],
  ['occur', 'Occurred'],
  ['raised', 'Occurred'],
  ['recovered', 'Recovered'],
  ['recovery', 'Recovered'],
  ['cleared', 'Recovered'],
  ['resolved', 'Recovered'],
]);

/** `Node : -` (or an empty value) means the event concerns the whole grid. */
export function nodeOrGridWide(node: string | null | undefined): string | null {
  const trimmed = node?.trim() ?? '';
  return trimmed === '' || trimmed === '-' ? null : trimmed;
}
