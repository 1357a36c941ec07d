import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { createApiKey } from '../../src/db/api-keys-repository.js';
import { builtInModules } from '../../src/modules/registry.js';
import { echoModule } from '../support/echo-module.js';
import { apiClient, type ApiClient } from '../support/http-client.js';
import { EMAIL_FIXTURES, INGEST_DOMAIN } from '../support/smtp-test-helpers.js';
import { startTestService, TEST_ADMIN_KEY, type TestService } from '../support/start-test-service.js';
import { ingestMail } from '../modules/hydrastor/support/hydrastor-test-service.js';
import { ingestExport } from '../modules/hydrastor/veritas2hview/support/ingest-export.js';
import { customerFiles, customerIdentity, rowsTiedTo, tableRowCounts } from './support/customer-footprint.js';

const SMALL_EXPORT = fileURLToPath(new URL('../fixtures/upload/veritas2hview_small.tar.gz', import.meta.url));
const GONE = 'bobs_burgers';
const KEPT = 'krusty_krab';

describe('customer offboarding (DELETE /customers/:slug?purge=true)', function () {
  this.timeout(120_000);
  let t: TestService;
  let api: ApiClient;
  /** archive.root on its own folder (another mount, in production): offboarding must clean it there. */
  let roots: { dataRoot: string; archiveRoot: string };

  /** Everything a customer can own: HYDRAstor and Veritas rows, echo rows, an S3 object, a mapping, a hold, a key, archived files. */
  async function populate(slug: string): Promise<void> {
    for (const fixture of ['system_report.eml', 'alert_disk_failure.eml', 'unclassified.eml']) {
      const raw = await readFile(new URL(fixture, EMAIL_FIXTURES));
      if (fixture === 'unclassified.eml')
        await t.service.accept({
          source: 'api',
          customer: slug,
          writeFiles: async (folder) => {
            await folder.writeFile({ name: 'message.eml', source: raw, originalName: fixture });
          },
        });
      else assert.equal((await ingestMail(t, { customer: slug, raw })).done.status, 'succeeded', fixture);
    }
    assert.equal((await ingestExport(t, { archivePath: SMALL_EXPORT, customer: slug })).status, 'succeeded');
    const { job } = await t.service.accept(t.echoArrival({ rows: 3, tag: slug }, { customer: slug }));
    await t.waitForStatus(job.id, ['succeeded']);
    const db = t.service.database.db;
    await sql`INSERT INTO s3_objects (bucket, key, last_job_id) VALUES ('uploads', ${`${slug}/grid01/export.tar.gz`}, ${job.id})`.execute(db);
    await sql`INSERT INTO veritas_grid_mappings (customer, storage_server, grid_serial) VALUES (${slug}, 'media01', 'SN-1')`.execute(db);
    assert.equal((await api.post('/api/1.0/holds', { customer: slug, group: 'no-such-group' })).status, 201);
    const { id } = await sql<{ id: string }>`SELECT id FROM customers WHERE slug = ${slug}`.execute(db).then((result) => result.rows[0]!);
    await createApiKey(db, { customerId: id, label: `${slug} key` });
  }

  before(async () => {
    const archiveRoot = await mkdtemp(path.join(tmpdir(), 'dp-offboard-archive-'));
    t = await startTestService({
      modules: [...builtInModules, echoModule],
      customers: [GONE, KEPT],
      overrides: {
        smtp: { ingestDomains: [INGEST_DOMAIN], customerCacheSeconds: 0 },
        modules: { 'test/echo': { archive: 'copy' }, 'hydrastor/system_report': { archive: 'tar.gz' } },
        archive: { root: archiveRoot },
      },
    });
    roots = { dataRoot: t.dataRoot, archiveRoot };
    api = apiClient(t.service.httpUrl!, TEST_ADMIN_KEY);
    await populate(GONE);
    await populate(KEPT);
  });
  after(async () => {
    await t?.stop();
    if (roots !== undefined) await rm(roots.archiveRoot, { recursive: true, force: true });
  });

  it('refuses to purge without a dry run token, an enabled customer, or a customer with a running job', async () => {
    const bare = await api.delete(`/api/1.0/customers/${GONE}?purge=true`);
    assert.equal(bare.status, 400);
    assert.equal(bare.body.error.code, 'CONFIRMATION_REQUIRED');
    const garbage = await api.delete(`/api/1.0/customers/${GONE}?purge=true&confirm=nonsense`);
    assert.equal(garbage.status, 409, 'the customer is still enabled: that is checked first');
    assert.equal(garbage.body.error.code, 'CUSTOMER_ENABLED');

    const running = await t.service.accept(t.echoArrival({ sleepMs: 2500, tag: 'slow' }, { customer: GONE }));
    await t.waitForStatus(running.job.id, ['running']);
    assert.equal((await api.delete(`/api/1.0/customers/${GONE}`)).status, 204, 'DELETE without purge disables');
    const plan = await api.delete(`/api/1.0/customers/${GONE}?purge=true&dryRun=true`);
    assert.equal(plan.status, 200);
    const busy = await api.delete(`/api/1.0/customers/${GONE}?purge=true&confirm=${plan.body.token}`);
    assert.equal(busy.status, 409);
    assert.equal(busy.body.error.code, 'CUSTOMER_BUSY');
    await t.waitForStatus(running.job.id, ['succeeded']);

    const malformed = await api.delete(`/api/1.0/customers/${GONE}?purge=true&confirm=nonsense`);
    assert.equal(malformed.status, 400);
    assert.equal(malformed.body.error.code, 'CONFIRMATION_INVALID');
    const stale = await api.delete(`/api/1.0/customers/${GONE}?purge=true&confirm=${plan.body.token}`);
    assert.equal(stale.status, 409, 'the slow job finished after the dry run: its rows changed');
    assert.equal(stale.body.error.code, 'CONFIRMATION_STALE');
    const otherCustomers = await api.delete(`/api/1.0/customers/${KEPT}?purge=true&dryRun=true`);
    await api.delete(`/api/1.0/customers/${KEPT}`);
    const crossed = await api.delete(`/api/1.0/customers/${GONE}?purge=true&confirm=${otherCustomers.body.token}`);
    assert.equal(crossed.body.error?.code, 'CONFIRMATION_STALE', 'a token is bound to its customer');
    await api.patch(`/api/1.0/customers/${KEPT}`, { disabled: false });
    assert.notEqual((await api.get(`/api/1.0/customers/${GONE}`)).status, 404, 'nothing was removed');
  });

  it('removes every row and file of the customer, exactly what the dry run counted, and nothing of others', async () => {
    const db = t.service.database.db;
    const gone = await customerIdentity(db, GONE);
    const kept = await customerIdentity(db, KEPT);
    assert.ok(gone.jobIds.length >= 6 && gone.gridIds.length === 1 && gone.masterServerIds.length === 1);
    const keptTies = await rowsTiedTo(db, kept);
    const keptFiles = await customerFiles(roots, KEPT);
    const goneFiles = await customerFiles(roots, GONE);
    assert.ok(
      goneFiles.some((file) => file.startsWith('archive/')) && goneFiles.some((file) => file.startsWith('inbox/')),
      'files in inbox and archive to remove',
    );
    const before = await tableRowCounts(db);

    const plan = await api.delete(`/api/1.0/customers/${GONE}?purge=true&dryRun=true`);
    assert.equal(plan.status, 200);
    assert.equal(plan.body.dryRun, true);
    assert.equal(plan.body.disabled, true);
    for (const table of [
      'jobs',
      'job_events',
      'api_keys',
      'customer_routes',
      'customers',
      'holds',
      'hydrastor_grids',
      'hydrastor_alerts',
      'veritas_jobs',
      'veritas_images',
      's3_objects',
      'veritas_grid_mappings',
      'test_echo_rows',
    ]) {
      if (table === 'customer_routes') continue; // no addresses or prefixes were given
      assert.ok((plan.body.rows[table] ?? 0) > 0, `dry run counts ${table}`);
    }
    assert.equal(plan.body.files.inbox.files + plan.body.files.tmp.files + plan.body.files.archive.files, goneFiles.length);
    assert.deepEqual(await tableRowCounts(db), before, 'the dry run removes nothing');

    const purge = await api.delete(`/api/1.0/customers/${GONE}?purge=true&confirm=${plan.body.token}`);
    assert.equal(purge.status, 200, purge.text);
    assert.equal(purge.body.dryRun, false);
    assert.deepEqual(purge.body.rows, plan.body.rows, 'removed what the dry run counted');
    assert.deepEqual(purge.body.files, plan.body.files);

    const after = await tableRowCounts(db);
    const lost = Object.fromEntries(
      Object.entries(before)
        .map(([table, count]) => [table, count - (after[table] ?? 0)])
        .filter(([, diff]) => diff !== 0),
    );
    assert.deepEqual(lost, plan.body.rows, 'every table lost exactly the counted rows, no more');
    assert.deepEqual(await rowsTiedTo(db, gone), [], 'no row tied to the customer, its jobs or its grids and master servers');
    assert.deepEqual(await customerFiles(roots, GONE), []);
    assert.deepEqual(await rowsTiedTo(db, kept), keptTies, 'the other customer is untouched');
    assert.deepEqual(await customerFiles(roots, KEPT), keptFiles);
    assert.equal((await api.get(`/api/1.0/customers/${GONE}`)).status, 404);
    assert.equal((await api.delete(`/api/1.0/customers/${GONE}?purge=true&confirm=${plan.body.token}`)).status, 404);
  });
});
