import type { AlertConditionRow, AlertState } from '../db/database-schema.js';
import { describeCondition, isAlertKind, type AlertScope } from './alert-kinds.js';

/** The notification as a receiver gets it (docs/alerts.md, "Payload"); version 1. */
export interface AlertBody {
  readonly id: string;
  readonly type: `alert.${AlertState}`;
  readonly version: 1;
  readonly createdAt: string;
  readonly summary: string;
  /** Occurrences this notification reports: those that opened it, those since the last one (digest), or the total (resolved). */
  readonly count: number;
  readonly condition: {
    readonly id: string | null;
    readonly kind: string;
    readonly key: string;
    readonly customer: string | null;
    readonly scope: AlertScope;
    readonly openedAt: string | null;
    readonly resolvedAt: string | null;
    readonly occurrences: number;
  };
  readonly details: Readonly<Record<string, unknown>>;
  /** The instance that sent it. */
  readonly node: string;
}

const STATE_PREFIX: Readonly<Record<AlertState, string>> = {
  opened: '',
  digest: 'still: ',
  resolved: 'resolved: ',
  test: 'test: ',
};

/** The body of a notification about `condition`, serialized once: every attempt sends and signs these bytes. */
export function alertBodyFor(args: {
  readonly eventId: string;
  readonly state: Exclude<AlertState, 'test'>;
  readonly condition: AlertConditionRow;
  readonly count: number;
  readonly node: string;
}): string {
  const { condition } = args;
  const scope = (condition.scope ?? {}) as AlertScope;
  const described = isAlertKind(condition.kind) ? describeCondition(condition.kind, scope) : condition.kind;
  const digest = args.state === 'digest' ? ` (${args.count} more since the last notification)` : '';
  const body: AlertBody = {
    id: args.eventId,
    type: `alert.${args.state}`,
    version: 1,
    createdAt: new Date().toISOString(),
    summary: `${STATE_PREFIX[args.state]}${described}${digest}`,
    count: args.count,
    condition: {
      id: condition.id,
      kind: condition.kind,
      key: condition.key,
      customer: condition.customer,
      scope,
      openedAt: condition.opened_at.toISOString(),
      resolvedAt: condition.resolved_at?.toISOString() ?? null,
      occurrences: Number(condition.occurrences),
    },
    details: (condition.details ?? {}) as Record<string, unknown>,
    node: args.node,
  };
  return JSON.stringify(body);
}

/** A test notification (POST …/subscriptions/{id}/test): the same shape, so a receiver can check its code with it. */
export function testBodyFor(args: { readonly eventId: string; readonly customer: string | null; readonly node: string }): string {
  const body: AlertBody = {
    id: args.eventId,
    type: 'alert.test',
    version: 1,
    createdAt: new Date().toISOString(),
    summary: 'test: a notification sent on request, to check the receiver',
    count: 0,
    condition: { id: null, kind: 'test', key: 'test', customer: args.customer, scope: {}, openedAt: null, resolvedAt: null, occurrences: 0 },
    details: {},
    node: args.node,
  };
  return JSON.stringify(body);
}
