import type { IngestError } from '../../src/core/ingest-error.js';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { builtInModules } from '../../src/modules/registry.js';
import { echoModule } from '../support/echo-module.js';
import { apiClient, type ApiClient } from '../support/http-client.js';
import { RawSmtpClient, expectCode } from '../support/raw-smtp-client.js';
import { INGEST_DOMAIN, jobCount } from '../support/smtp-test-helpers.js';
import { startTestService, TEST_ADMIN_KEY, type TestService } from '../support/start-test-service.js';

const SLUG = 'bobs_burgers';
const UPLOAD_PATH = '/api/1.0/uploads/hydrastor/veritas2hview';
const EXPORT = new URL('../fixtures/upload/veritas2hview_small.tar.gz', import.meta.url);

describe('a disabled customer (DELETE /customers/:slug without purge)', function () {
  this.timeout(60_000);
  let t: TestService;
  let admin: ApiClient;
  let customerKey: string;

  before(async () => {
    t = await startTestService({
      modules: [...builtInModules, echoModule],
      customers: [SLUG, 'krusty_krab'],
      overrides: { smtp: { ingestDomains: [INGEST_DOMAIN], customerCacheSeconds: 0 } },
    });
    admin = apiClient(t.service.httpUrl!, TEST_ADMIN_KEY);
    customerKey = (await admin.post('/api/1.0/api-keys', { customer: SLUG, label: 'uploads' })).body.key;
  });
  after(async () => {
    await t?.stop();
  });

  /** One real SMTP session up to RCPT TO; returns the RCPT reply. */
  async function rcpt(to: string): Promise<{ code: number; text: string }> {
    const { client, greeting } = await RawSmtpClient.connect(t.service.smtpAddress!.port);
    try {
      expectCode(greeting, 220);
      expectCode(await client.command('EHLO client.test'), 250);
      expectCode(await client.command('MAIL FROM:<grid@bobs.example>'), 250);
      return await client.command(`RCPT TO:<${to}>`);
    } finally {
      await client.quit();
    }
  }
  const upload = async (key: string, query = ''): ReturnType<ApiClient['raw']> =>
    admin.raw(`${UPLOAD_PATH}${query}${query === '' ? '?' : '&'}group=grid01`, {
      method: 'POST',
      body: await readFile(EXPORT),
      headers: { 'X-Api-Key': key, 'Content-Type': 'application/octet-stream' },
    });

  it('refuses mail with 550 5.2.1 and uploads with 403, keeps its data, and takes both again once enabled', async () => {
    const address = `${SLUG}@${INGEST_DOMAIN}`;
    assert.equal((await rcpt(address)).code, 250, 'enabled: accepted');
    const before = await upload(customerKey, '?filename=a.tar.gz');
    assert.equal(before.status, 202, before.text);
    const jobsBefore = await jobCount(t);

    assert.equal((await admin.delete(`/api/1.0/customers/${SLUG}`)).status, 204);
    const shown = await admin.get(`/api/1.0/customers/${SLUG}`);
    assert.equal(shown.body.disabled, true);
    assert.ok(Date.parse(shown.body.disabledAt) > 0);

    const refused = await rcpt(address);
    assert.equal(refused.code, 550);
    assert.match(refused.text, /^5\.2\.1 /);
    assert.equal((await rcpt(`krusty_krab@${INGEST_DOMAIN}`)).code, 250, 'other customers still get mail');

    const byCustomerKey = await upload(customerKey);
    assert.equal(byCustomerKey.status, 403);
    assert.equal(byCustomerKey.body.error.code, 'CUSTOMER_DISABLED');
    const byAdmin = await upload(TEST_ADMIN_KEY, `?customer=${SLUG}`);
    assert.equal(byAdmin.status, 403);
    assert.equal(byAdmin.body.error.code, 'CUSTOMER_DISABLED');
    assert.equal(await jobCount(t), jobsBefore, 'nothing new was taken, nothing was removed');
    assert.equal((await admin.get(`/api/1.0/jobs/${before.body.job.id}`)).status, 200, 'its jobs are kept');

    const enabled = await admin.patch(`/api/1.0/customers/${SLUG}`, { disabled: false });
    assert.equal(enabled.status, 200);
    assert.equal(enabled.body.disabled, false);
    assert.equal(enabled.body.disabledAt, null);
    assert.equal((await rcpt(address)).code, 250);
    assert.equal((await upload(customerKey, '?filename=b.tar.gz')).status, 202, 'its keys work again');
  });
  it('refuses every other way in too (S3 events, webhook, CLI ingest and replay all pass the door)', async () => {
    const other = 'krusty_krab';
    assert.equal((await admin.delete(`/api/1.0/customers/${other}`)).status, 204);
    const jobsBefore = await t.service.database.db
      .selectFrom('jobs')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('customer', '=', other)
      .executeTakeFirstOrThrow();
    await assert.rejects(
      t.service.accept(t.echoArrival({ tag: 'after-disable' }, { customer: other })),
      (error: IngestError) => error.code === 'CUSTOMER_DISABLED',
    );
    const jobsAfter = await t.service.database.db
      .selectFrom('jobs')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('customer', '=', other)
      .executeTakeFirstOrThrow();
    assert.equal(jobsAfter.n, jobsBefore.n, 'no job was made');
    assert.equal((await admin.patch(`/api/1.0/customers/${other}`, { disabled: false })).status, 200);
  });
});
