import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { insertAlertEvent, listConditions } from '../db/alert-conditions-repository.js';
import type { AlertSubscriptionRow, Database } from '../db/database-schema.js';
import { alertBodyFor } from './alert-body.js';

/** Open conditions told to a new subscription at most; beyond them it learns of the rest as they clear. */
const MAX_OPEN_CONDITIONS = 1000;

/**
 * A subscription made (or enabled again) while conditions are open would otherwise hear of them
 * only when they clear: each open condition it wants is notified to it alone, as `alert.opened`
 * with the occurrences so far. Returns the notifications queued.
 */
export async function sendOpenConditionsTo(
  db: Kysely<Database>,
  args: { readonly subscription: AlertSubscriptionRow; readonly node: string },
): Promise<number> {
  const { subscription } = args;
  if (!subscription.enabled) return 0;
  const open = await listConditions(db, {
    filter: { open: true, ...(subscription.customer === null ? {} : { customer: subscription.customer }) },
    limit: MAX_OPEN_CONDITIONS,
  });
  let queued = 0;
  for (const condition of open.reverse()) {
    if (subscription.kinds.length > 0 && !subscription.kinds.includes(condition.kind)) continue;
    const eventId = randomUUID();
    queued += await insertAlertEvent(db, {
      id: eventId,
      conditionId: condition.id,
      kind: condition.kind,
      key: condition.key,
      state: 'opened',
      customer: condition.customer,
      body: alertBodyFor({ eventId, state: 'opened', condition, count: Number(condition.occurrences), node: args.node }),
      onlySubscription: subscription.id,
    });
  }
  return queued;
}
