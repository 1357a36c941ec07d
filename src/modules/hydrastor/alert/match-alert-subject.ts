import { parseAlertSeverity, type AlertSeverity } from '../common/alert-severity.js';
import { normalizeSubject } from '../../shared/text/normalize-subject.js';

export interface AlertSubject {
  readonly severity: AlertSeverity;
  /** Null when the subject was cut off before this token was complete. */
  readonly grid: string | null;
  readonly eventId: string | null;
  /** As written: `-` for grid-wide events. */
  readonly node: string | null;
  readonly summary: string | null;
  /** Every field was present (the spec's full pattern matched). */
  readonly complete: boolean;
}

/**
 * Formats spec §2: `[HYDRAstor][SEV] grid HS-E12345 node: summary`, searched (prefixes may
 * precede it). Subjects get truncated, so each token after the severity is optional and only
 * taken when it is whole (followed by a space, or `:` for the node).
 */
const ALERT_SUBJECT = new RegExp(
  String.raw`\[HYDRAstor\]\s*\[(?<severity>INFO|WARNING|ERROR|CRITICAL)\]` +
    String.raw`(?: (?<grid>\S+)(?= )(?: (?<eventId>HS-[EWI]\d{5})(?= )(?: (?<node>[^\s:]+):(?: (?<summary>.+))?)?)?)?`,
  'i',
);

export function matchAlertSubject(subject: string): AlertSubject | null {
  const match = ALERT_SUBJECT.exec(normalizeSubject(subject));
  const groups = match?.groups;
  const severity = parseAlertSeverity(groups?.['severity'] ?? '');
  if (groups === undefined || severity === null) return null;
  const grid = groups['grid'] ?? null;
  const eventId = groups['eventId']?.toUpperCase() ?? null;
  const node = groups['node'] ?? null;
  const summary = groups['summary']?.trim() || null;
  return { severity, grid, eventId, node, summary, complete: grid !== null && eventId !== null && node !== null && summary !== null };
}
