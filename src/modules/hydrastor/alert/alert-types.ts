import type { AlertSeverity } from '../common/alert-severity.js';
import type { ParseIssue } from '../../parse-issue.js';

export type AlertEventType = 'Occurred' | 'Recovered';

/**
 * One HYDRAstor alert mail. Dedupe key: (serial, eventId, node, occurredAt).
 * A `Recovered` mail closes the open alert `clearsEventId` on the same node.
 */
export interface HydrastorAlert {
  /** Grid name (body `System Name`, else the subject's). */
  readonly grid: string;
  readonly serial: string;
  /** Upper case, e.g. `HS-E10431`. */
  readonly eventId: string;
  readonly severity: AlertSeverity;
  readonly eventType: AlertEventType;
  /**
   * When `hasOffset` is false this is a naive time (the wall clock read as UTC): apply the grid's
   * zone with applyTimezone (UTC when none is known) and say so in the job log.
   */
  readonly occurredAt: Date;
  readonly hasOffset: boolean;
  /** Null for grid-wide events (`Node : -`). */
  readonly node: string | null;
  readonly component: string | null;
  readonly message: string | null;
  readonly recommendedAction: string | null;
  /** Upper case; set on Recovered mails. */
  readonly clearsEventId: string | null;
  /** Labels the parser does not know, as written, with their values. */
  readonly extra: Readonly<Record<string, string>>;
  readonly issues: readonly ParseIssue[];
}
