import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { createApiKey } from '../../../src/db/api-keys-repository.js';
import { findCustomerBySlug, updateCustomer } from '../../../src/db/customers-repository.js';
import { RefusalRecorder } from '../../../src/pipeline/refusal-recorder.js';
import { Logging } from '../../../src/logging/logging.js';
import { apiClient, type ApiClient } from '../../support/http-client.js';
import { sendWithNodemailer } from '../../support/smtp-test-helpers.js';
import { startTestService, TEST_ADMIN_KEY, type TestService } from '../../support/start-test-service.js';
import { envelope, startS3Emulator, veritasStubModule, type S3Emulator } from '../../support/s3-test-env.js';

const TOKEN = 'webhook-token-0123456789abcdef';

interface RefusedView {
  id: string;
  source: string;
  stage: string;
  code: string;
  reply: string;
  customer: string | null;
  sender: string | null;
  recipients: string[];
  sizeBytes: number | null;
  clientAddress: string | null;
  details: Record<string, unknown>;
}

describe('refused arrivals: GET /api/1.0/refused', function () {
  this.timeout(60_000);
  let env: S3Emulator;
  let t: TestService;
  let api: ApiClient;
  let bobsKey: string;
  let port: number;

  before(async () => {
    env = await startS3Emulator();
    t = await startTestService({
      customers: ['bobs_burgers', 'jimmys_pizza'],
      modules: [veritasStubModule],
      overrides: { worker: { enabled: false }, smtp: { maxMessageBytes: 4096 }, s3: env.settings({ webhook: { token: TOKEN } }) },
    });
    api = apiClient(t.service.httpUrl!, TEST_ADMIN_KEY);
    const db = t.service.database.db;
    await updateCustomer(db, 'bobs_burgers', { allowedSenders: ['@bobs.example'] }, { ingestDomains: t.config.smtp.ingestDomains });
    bobsKey = (await createApiKey(db, { customerId: (await findCustomerBySlug(db, 'bobs_burgers'))!.id, label: 'bob' })).key;
    port = t.service.smtpAddress!.port;
  });
  after(async () => {
    await t?.stop();
    await env?.stop();
  });

  async function refused(path: string, key: string = TEST_ADMIN_KEY, atLeast = 0): Promise<RefusedView[]> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const response = await api.get(path, key);
      assert.equal(response.status, 200, response.text);
      const rows = response.body.refused as RefusedView[];
      if (rows.length >= atLeast || Date.now() > deadline) return rows;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  it('records SMTP refusals with recipient, sender, reply, client address and the customer when routing knows it', async () => {
    const domain = t.config.smtp.ingestDomains[0]!;
    const unknown = await sendWithNodemailer({ port, from: 'grid@bobs.example', to: [`nobody@${domain}`], raw: 'Subject: x\r\n\r\nx\r\n' });
    assert.equal(unknown.code, 550);
    const stranger = await sendWithNodemailer({ port, from: 'mallory@evil.example', to: [`bobs_burgers@${domain}`], raw: 'Subject: x\r\n\r\nx\r\n' });
    assert.equal(stranger.code, 550);
    const large = await sendWithNodemailer({
      port,
      from: 'oven@jimmys.example',
      to: [`jimmys_pizza@${domain}`],
      raw: `Subject: big\r\n\r\n${'x'.repeat(10_000)}\r\n`,
    });
    assert.equal(large.code, 552, large.response);

    const rows = await refused('/api/1.0/refused?source=smtp', TEST_ADMIN_KEY, 3);
    assert.equal(rows.length, 3, JSON.stringify(rows));
    const [tooLarge, notAllowed, notKnown] = rows;
    assert.deepEqual([notKnown!.stage, notKnown!.code, notKnown!.customer, notKnown!.recipients], ['RCPT TO', 'RECIPIENT_UNKNOWN', null, [`nobody@${domain}`]]);
    assert.match(notKnown!.reply, /^550 5\.1\.1 /);
    assert.equal(notKnown!.clientAddress?.replace(/^::ffff:/, ''), '127.0.0.1');
    assert.equal(typeof notKnown!.details.sessionId, 'string');
    assert.deepEqual([notAllowed!.code, notAllowed!.customer, notAllowed!.sender], ['SENDER_NOT_ALLOWED', 'bobs_burgers', 'mallory@evil.example']);
    assert.match(notAllowed!.reply, /^550 5\.7\.1 /);
    assert.equal(tooLarge!.code, 'MESSAGE_TOO_LARGE');
    assert.match(tooLarge!.reply, /^552 /);

    const text = await (await fetch(`${t.service.httpUrl}/metrics`)).text();
    assert.match(text, /^dataprocessor_refused_total\{source="smtp",code="RECIPIENT_UNKNOWN"\} 1$/m);
    assert.match(text, /^dataprocessor_refused_dropped_total 0$/m);
  });

  it('shows a customer key only the refusals meant for its customer, and filters and pages', async () => {
    const own = await refused('/api/1.0/refused', bobsKey);
    assert.deepEqual(
      own.map((row) => row.code),
      ['SENDER_NOT_ALLOWED'],
    );
    assert.deepEqual(await refused('/api/1.0/refused?customer=jimmys_pizza', bobsKey), []);
    assert.deepEqual(
      (await refused('/api/1.0/refused?q=mallory')).map((row) => row.sender),
      ['mallory@evil.example'],
    );
    assert.deepEqual(
      (await refused('/api/1.0/refused?code=RECIPIENT_UNKNOWN')).map((row) => row.code),
      ['RECIPIENT_UNKNOWN'],
    );
    const first = await api.get('/api/1.0/refused?source=smtp&limit=2');
    assert.equal(first.body.refused.length, 2);
    const second = await api.get(`/api/1.0/refused?source=smtp&limit=2&before=${first.body.next}`);
    assert.equal(second.body.refused.length, 1);
    assert.equal(second.body.next, null);
    assert.equal((await api.get('/api/1.0/refused?before=abc')).status, 400);
    assert.equal((await api.get('/api/1.0/refused', null)).status, 401);
  });

  it('records an S3 event that cannot be routed', async () => {
    const key = 'no_such_layout.tar.gz';
    const response = await fetch(`${t.service.httpUrl}/api/1.0/s3/events`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${TOKEN}` },
      body: await envelope('aws_object_created', { key }),
    });
    assert.ok(response.status >= 400, String(response.status));
    const rows = await refused('/api/1.0/refused?source=webhook', TEST_ADMIN_KEY, 1);
    assert.equal(rows[0]?.code, 'OBJECT_UNROUTABLE');
    assert.equal(rows[0]?.details.key, key);
  });

  it('deletes records older than keepDays, and counts what a full queue drops', async () => {
    const db = t.service.database.db;
    await sql`UPDATE refused_arrivals SET at = now() - interval '40 days' WHERE code = 'RECIPIENT_UNKNOWN'`.execute(db);
    const logging = new Logging({ logDir: t.config.logDir, level: 'warn', console: false });
    let dropped = 0;
    const recorder = new RefusalRecorder({
      db,
      node: 'test',
      logger: logging.for('test'),
      keepDays: 30,
      maxQueued: 1,
      observe: { recorded: () => undefined, dropped: () => (dropped += 1) },
    });
    try {
      assert.equal(await recorder.trim(), 1);
      const refusal = { source: 'smtp', stage: 'RCPT TO', code: 'RECIPIENT_UNKNOWN', message: 'x', reply: '550 5.1.1 x' } as const;
      recorder.record(refusal);
      recorder.record(refusal);
      assert.equal(dropped, 1);
      await recorder.flush();
      assert.equal((await refused('/api/1.0/refused?code=RECIPIENT_UNKNOWN')).length, 1, 'the old one went, the new one was written');
    } finally {
      await recorder.stop();
      await logging.close();
    }
  });
});
