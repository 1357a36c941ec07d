import type { AlertConditionRow, AlertSubscriptionRow } from '../../db/database-schema.js';
import type { DeliveryListRow } from '../../db/alert-deliveries-repository.js';

/** Characters of a secret shown as its hint: enough to tell two keys apart, far too few to guess the rest. */
const SECRET_HINT_CHARS = 4;

/** A subscription as the API shows it: never the secret, except in the answer that made or rotated it. */
export function alertSubscriptionView(row: AlertSubscriptionRow) {
  return {
    id: row.id,
    customer: row.customer,
    channel: row.channel,
    url: row.url,
    email: row.email,
    secretHint: row.secret === null ? null : `…${row.secret.slice(-SECRET_HINT_CHARS)}`,
    kinds: row.kinds,
    description: row.description,
    enabled: row.enabled,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

export function alertDeliveryView(row: DeliveryListRow) {
  return {
    id: row.id,
    eventId: row.event_id,
    subscriptionId: row.subscription_id,
    channel: row.channel,
    target: row.channel === 'webhook' ? row.url : row.email,
    customer: row.customer,
    conditionId: row.condition_id,
    kind: row.kind,
    key: row.key,
    state: row.state,
    status: row.status,
    attempts: row.attempts,
    nextAttemptAt: row.status === 'pending' ? row.next_attempt_at.toISOString() : null,
    lastAttemptAt: row.last_attempt_at?.toISOString() ?? null,
    lastStatusCode: row.last_status_code,
    lastError: row.last_error,
    deliveredAt: row.delivered_at?.toISOString() ?? null,
    createdAt: row.created_at.toISOString(),
    attemptLog: row.attempt_log as Array<{
      attempt: number;
      at: string;
      outcome: 'delivered' | 'retry' | 'failed';
      statusCode: number | null;
      error: string | null;
      ms: number;
    }>,
  };
}

export function alertConditionView(row: AlertConditionRow) {
  return {
    id: row.id,
    kind: row.kind,
    key: row.key,
    customer: row.customer,
    scope: row.scope as Record<string, unknown>,
    details: row.details as Record<string, unknown>,
    openedAt: row.opened_at.toISOString(),
    lastSeenAt: row.last_seen_at.toISOString(),
    occurrences: Number(row.occurrences),
    unreported: Number(row.unreported),
    lastNotifiedAt: row.last_notified_at.toISOString(),
    resolvedAt: row.resolved_at?.toISOString() ?? null,
  };
}
