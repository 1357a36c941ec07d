import { randomUUID } from 'node:crypto';
import type { Transaction } from 'kysely';
import { insertAlertEvent, listOpenConditions, recordConditionOccurrence, resolveCondition, takeDueDigests } from '../db/alert-conditions-repository.js';
import type { AlertConditionRow, AlertState } from '../db/database-schema.js';
import type { Database } from '../db/database-schema.js';
import { alertBodyFor } from './alert-body.js';
import { alertKey, type AlertKind, type AlertOccurrence, type AlertScope } from './alert-kinds.js';

/** A notification written in the current transaction; reported (metrics, deliverer) once it commits. */
export interface WrittenNotification {
  readonly kind: string;
  readonly state: AlertState;
  readonly deliveries: number;
}

/**
 * The no-storm rules on one transaction (docs/alerts.md, "One notification per condition"): a
 * condition notifies when it opens, counts later occurrences into a digest sent at most every
 * `digestMinutes`, and notifies once more when it clears. The condition and its notification
 * are written together: a crash never leaves one without the other.
 */
export class AlertRecorder {
  readonly written: WrittenNotification[] = [];

  constructor(
    readonly trx: Transaction<Database>,
    readonly node: string,
  ) {}

  /** Opens the condition (and notifies), or counts the occurrence into the open one's digest. */
  async raise(occurrence: AlertOccurrence): Promise<boolean> {
    const { condition, opened } = await recordConditionOccurrence(this.trx, {
      kind: occurrence.kind,
      key: alertKey(occurrence.kind, occurrence.scope),
      customer: occurrence.scope.customer ?? null,
      scope: { ...occurrence.scope },
      details: occurrence.details,
      count: occurrence.count,
    });
    if (opened) await this.#notify(condition, 'opened', occurrence.count);
    return opened;
  }

  /** Clears an open condition and notifies, with the occurrences the last digest did not report. */
  async clear(condition: AlertConditionRow): Promise<boolean> {
    const resolved = await resolveCondition(this.trx, condition.id);
    if (resolved === undefined) return false;
    const { reported, ...row } = resolved;
    await this.#notify(row, 'resolved', Number(reported));
    return true;
  }

  /**
   * A state that holds or not (a silent source, low disk): opens the conditions in `current` that
   * are not open, clears the open ones of `mine` that are not in it. `complete: false` (a capped
   * list) only opens: a condition missing from a partial list may still hold.
   */
  async reconcile(args: {
    readonly kind: AlertKind;
    readonly current: readonly AlertOccurrence[];
    readonly mine?: (scope: AlertScope) => boolean;
    readonly complete?: boolean;
  }): Promise<void> {
    const open = (await listOpenConditions(this.trx, args.kind)).filter((condition) => args.mine?.(condition.scope as AlertScope) ?? true);
    const openKeys = new Set(open.map((condition) => condition.key));
    const currentKeys = new Set<string>();
    for (const occurrence of args.current) {
      const key = alertKey(occurrence.kind, occurrence.scope);
      currentKeys.add(key);
      if (!openKeys.has(key)) await this.raise(occurrence);
    }
    if (args.complete === false) return;
    for (const condition of open) if (!currentKeys.has(condition.key)) await this.clear(condition);
  }

  /** Sends the digests that are due: open conditions with occurrences not reported for `digestMinutes`. */
  async sendDueDigests(digestMinutes: number): Promise<void> {
    for (const { reported, ...condition } of await takeDueDigests(this.trx, digestMinutes)) await this.#notify(condition, 'digest', Number(reported));
  }

  async #notify(condition: AlertConditionRow, state: Exclude<AlertState, 'test'>, count: number): Promise<void> {
    const eventId = randomUUID();
    const deliveries = await insertAlertEvent(this.trx, {
      id: eventId,
      conditionId: condition.id,
      kind: condition.kind,
      key: condition.key,
      state,
      customer: condition.customer,
      body: alertBodyFor({ eventId, state, condition, count, node: this.node }),
    });
    this.written.push({ kind: condition.kind, state, deliveries });
  }
}
