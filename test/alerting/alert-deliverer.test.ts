import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { AlertDeliverer } from '../../src/alerting/alert-deliverer.js';
import { loadConfig } from '../../src/config/load-config.js';
import { insertAlertEvent } from '../../src/db/alert-conditions-repository.js';
import { insertAlertSubscription } from '../../src/db/alert-subscriptions-repository.js';
import { migrateToLatest } from '../../src/db/migrate-to-latest.js';
import { openDatabase, type DatabaseHandle } from '../../src/db/open-database.js';
import { Logging } from '../../src/logging/logging.js';
import { makeDataRoot } from '../support/test-config.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.js';

const NOTIFICATIONS = 40;

describe('alert deliverers of two instances on one outbox', function () {
  this.timeout(30_000);
  let database: TestDatabase;
  let dataRoot: string;
  let logging: Logging;
  let handles: DatabaseHandle[] = [];
  let receiver: WebhookReceiver;

  before(async () => {
    database = await createTestDatabase();
    dataRoot = await makeDataRoot();
    logging = new Logging({ logDir: path.join(dataRoot, 'log'), level: 'error', console: false });
    receiver = await startWebhookReceiver();
    handles = await Promise.all([1, 2].map(() => openDatabase({ url: database.url, dataRoot, embeddedPort: 0, poolSize: 4, logger: logging.for('database') })));
    await migrateToLatest(handles[0]!.db);
  });
  after(async () => {
    for (const handle of handles) await handle.close();
    await receiver?.close();
    await logging?.close();
    await database?.drop();
    await rm(dataRoot, { recursive: true, force: true });
  });

  it('sends every notification exactly once when both claim at the same time (SKIP LOCKED)', async () => {
    const db = handles[0]!.db;
    const subscription = await insertAlertSubscription(db, {
      customer: null,
      channel: 'webhook',
      url: receiver.url('/shared'),
      secret: 'shared-secret-0123456789',
      email: null,
      kinds: [],
      description: '',
      enabled: true,
    });
    receiver.setSecret('/shared', 'shared-secret-0123456789');
    for (let n = 0; n < NOTIFICATIONS; n += 1) {
      const id = randomUUID();
      const body = JSON.stringify({ id, type: 'alert.test', n });
      assert.equal(await insertAlertEvent(db, { id, conditionId: null, kind: 'test', key: 'test', state: 'test', customer: null, body }), 1);
    }
    const settings = loadConfig({ env: {} }).alerts;
    const deliverers = handles.map(
      (handle) =>
        new AlertDeliverer({ db: handle.db, settings: { ...settings, delivery: { ...settings.delivery, concurrency: 3 } }, logger: logging.for('alerts') }),
    );
    await Promise.all(deliverers.flatMap((deliverer) => [deliverer.deliverDue(), deliverer.deliverDue()]));
    await Promise.all(deliverers.map((deliverer) => deliverer.stop()));

    const ids = receiver.receivedAt('/shared').map((n) => n.eventId);
    assert.equal(ids.length, NOTIFICATIONS, 'each once');
    assert.equal(new Set(ids).size, NOTIFICATIONS);
    assert.ok(receiver.received.every((n) => n.signatureValid));
    const rows = await db.selectFrom('alert_deliveries').select(['status', 'attempts']).where('subscription_id', '=', subscription.id).execute();
    assert.ok(rows.every((row) => row.status === 'delivered' && row.attempts === 1));
  });
});
