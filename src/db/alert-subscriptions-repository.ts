import type { Kysely, Transaction } from 'kysely';
import { failPendingDeliveries } from './alert-deliveries-repository.js';
import type { AlertChannel, AlertSubscriptionRow, Database } from './database-schema.js';

type Db = Kysely<Database> | Transaction<Database>;

export interface NewAlertSubscription {
  readonly customer: string | null;
  readonly channel: AlertChannel;
  readonly url: string | null;
  readonly secret: string | null;
  readonly email: string | null;
  readonly kinds: readonly string[];
  readonly description: string;
  readonly enabled: boolean;
}

export type AlertSubscriptionChange = {
  readonly [K in 'url' | 'secret' | 'email' | 'kinds' | 'description' | 'enabled']?: NewAlertSubscription[K] | undefined;
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function insertAlertSubscription(db: Db, subscription: NewAlertSubscription): Promise<AlertSubscriptionRow> {
  return db
    .insertInto('alert_subscriptions')
    .values({ ...subscription, kinds: [...subscription.kinds] })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function listAlertSubscriptions(db: Db, args: { readonly customer?: string | undefined } = {}): Promise<AlertSubscriptionRow[]> {
  let query = db.selectFrom('alert_subscriptions').selectAll();
  if (args.customer !== undefined) query = query.where('customer', '=', args.customer);
  return query.orderBy('created_at').orderBy('id').execute();
}

export async function findAlertSubscription(db: Db, id: string): Promise<AlertSubscriptionRow | undefined> {
  if (!UUID.test(id)) return undefined;
  return db.selectFrom('alert_subscriptions').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Applies the change; disabling fails the subscription's pending deliveries (they are not sent on re-enabling). */
export async function updateAlertSubscription(db: Kysely<Database>, id: string, change: AlertSubscriptionChange): Promise<AlertSubscriptionRow | undefined> {
  if (!UUID.test(id)) return undefined;
  return db.transaction().execute(async (trx) => {
    const updated = await trx
      .updateTable('alert_subscriptions')
      .set({ ...change, kinds: change.kinds === undefined ? undefined : [...change.kinds], updated_at: new Date() })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
    if (updated !== undefined && change.enabled === false) await failPendingDeliveries(trx, { subscriptionId: id, reason: 'subscription disabled' });
    return updated;
  });
}

/** Removes the subscription and its deliveries (disable it instead to keep their history). */
export async function deleteAlertSubscription(db: Db, id: string): Promise<boolean> {
  if (!UUID.test(id)) return false;
  const result = await db.deleteFrom('alert_subscriptions').where('id', '=', id).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}
