import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { sql } from 'kysely';
import { echoModule } from '../../support/echo-module.js';
import { startTestService, TEST_ADMIN_KEY, type TestService } from '../../support/start-test-service.js';
import { apiClient, type ApiClient } from '../../support/http-client.js';
import { createReportTable, reportArrival, reportModule } from '../../support/report-test-module.js';

interface GridRow {
  customer: string;
  grid: string;
  capacity_bytes: string;
  report_time: Date;
  last_job_id: string;
}

describe('POST /api/1.0/jobs/replay', () => {
  let t: TestService;
  let api: ApiClient;
  const bobsReports: string[] = [];
  let krustyReport = '';
  let echoJob = '';

  const grids = async (): Promise<GridRow[]> =>
    (await sql<GridRow>`SELECT * FROM test_report_grids ORDER BY customer, grid`.execute(t.service.database.db)).rows;
  const withoutWriter = (rows: GridRow[]) => rows.map(({ last_job_id: _writer, ...rest }) => rest);

  /** Every file under inbox/ with its digest and modification time: replay must leave all of it alone. */
  async function inboxSnapshot(): Promise<string[]> {
    const root = path.join(t.dataRoot, 'inbox');
    const entries = await readdir(root, { recursive: true, withFileTypes: true });
    const files = entries.filter((entry) => entry.isFile()).map((entry) => path.join(entry.parentPath, entry.name));
    return Promise.all(
      files.sort().map(
        async (file) =>
          `${path.relative(root, file)} ${createHash('sha256')
            .update(await readFile(file))
            .digest('hex')} ${(await stat(file)).mtimeMs}`,
      ),
    );
  }

  before(async () => {
    t = await startTestService({
      customers: ['bobs_burgers', 'krusty_krab'],
      modules: [echoModule, reportModule],
      overrides: { http: { rateLimit: { pointsPerSecond: 0 } } },
    });
    await createReportTable(t.service.database.db);
    api = apiClient(t.service.httpUrl!, TEST_ADMIN_KEY);
    const reports = [
      { grid: 'icecream_machine', capacityBytes: 1000, reportTime: '2023-01-13T03:00:00Z' },
      { grid: 'fryer', capacityBytes: 500, reportTime: '2023-01-13T03:05:00Z' },
      { grid: 'icecream_machine', capacityBytes: 1200, reportTime: '2023-01-14T03:00:00Z' },
    ];
    for (const [n, report] of reports.entries()) {
      const { job } = await t.service.accept(reportArrival('bobs_burgers', report, new Date(Date.UTC(2023, 0, 13 + n))));
      bobsReports.push(job.id);
      await t.waitForStatus(job.id, ['succeeded']);
    }
    krustyReport = (
      await t.service.accept(
        reportArrival('krusty_krab', { grid: 'grill', capacityBytes: 7, reportTime: '2023-01-13T00:00:00Z' }, new Date(Date.UTC(2023, 0, 13))),
      )
    ).job.id;
    echoJob = (await t.service.accept(t.echoArrival({ tag: 'not a report' }))).job.id;
    await t.waitForStatus(krustyReport, ['succeeded']);
    await t.waitForStatus(echoJob, ['succeeded']);
  });
  after(async () => {
    await t?.stop();
  });

  it('counts the matching jobs in a dry run without creating any', async () => {
    const response = await api.post('/api/1.0/jobs/replay', { filter: { customer: 'bobs_burgers', type: 'test/report' }, dry_run: true });
    assert.equal(response.status, 200);
    assert.deepEqual(response.body, { dryRun: true, matched: 3 });
    assert.equal((await api.get('/api/1.0/jobs?source=replay')).body.jobs.length, 0);
  });

  it("re-runs the module on one customer's reports, oldest first, and changes nothing when the parser is unchanged", async () => {
    const before = await grids();
    const inboxBefore = await inboxSnapshot();
    const response = await api.post('/api/1.0/jobs/replay', { filter: { customer: 'bobs_burgers', type: 'test/report' } }, undefined, {
      'Idempotency-Key': 'parser-fix-1',
    });
    assert.equal(response.status, 200);
    assert.equal(response.body.matched, 3);
    assert.equal(response.body.batch, 'parser-fix-1');
    assert.deepEqual(response.body.skipped, []);
    assert.deepEqual(
      response.body.replayed.map((item: { jobId: string }) => item.jobId),
      bobsReports,
      'oldest first',
    );
    const replayIds: string[] = response.body.replayed.map((item: { replayJobId: string; duplicate: boolean }) => {
      assert.equal(item.duplicate, false);
      return item.replayJobId;
    });
    for (const id of replayIds) {
      const job = await t.waitForStatus(id, ['succeeded']);
      assert.equal(job.source, 'replay');
      assert.deepEqual(job.stats, { test_report_grids: 1 }, 'the module ran and upserted');
    }
    const after = await grids();
    assert.deepEqual(withoutWriter(after), withoutWriter(before), 'the data is exactly the same');
    const bobsWriters = after.filter((row) => row.customer === 'bobs_burgers').map((row) => row.last_job_id);
    assert.ok(
      bobsWriters.every((writer) => replayIds.includes(writer)),
      'the rows were written again, by the replay jobs',
    );
    assert.equal(after.find((row) => row.customer === 'krusty_krab')!.last_job_id, krustyReport, "the other customer's data was not touched");

    const detail = await api.get(`/api/1.0/jobs/${replayIds[0]}`);
    assert.equal(detail.body.sourceRef.replayOf, bobsReports[0]);
    assert.equal(detail.body.sourceRef.replayBatch, 'parser-fix-1');
    const original = await api.get(`/api/1.0/jobs/${bobsReports[0]}`);
    assert.deepEqual(detail.body.files, original.body.files, 'the same originals, byte for byte');
    const inboxAfter = await inboxSnapshot();
    assert.deepEqual(
      inboxAfter.filter((line) => inboxBefore.some((old) => old.split(' ')[0] === line.split(' ')[0])),
      inboxBefore,
      'the original folders are untouched',
    );
  });

  it('returns the same jobs when the same batch is replayed again', async () => {
    const first = await api.post('/api/1.0/jobs/replay', { filter: { customer: 'bobs_burgers', type: 'test/report', source: 'smtp' } }, undefined, {
      'Idempotency-Key': 'parser-fix-1',
    });
    assert.equal(first.status, 200);
    assert.ok(first.body.replayed.every((item: { duplicate: boolean }) => item.duplicate));
    assert.equal((await api.get('/api/1.0/jobs?source=replay&limit=100')).body.jobs.length, 3);
    const fresh = await api.post('/api/1.0/jobs/replay', { filter: { customer: 'krusty_krab', status: ['succeeded'] } });
    assert.equal(fresh.body.replayed.length, 1);
    assert.match(fresh.body.batch, /^[0-9a-f-]{36}$/, 'a new batch name when none is given');
  });

  it('skips jobs whose originals are gone, and reports why', async () => {
    const { job } = await t.service.accept(t.echoArrival({ tag: 'retention ate me' }, { group: 'gone' }));
    await t.waitForStatus(job.id, ['succeeded']);
    await rm(path.join(t.dataRoot, 'inbox', job.relative_path, 'instruction.json'));
    const response = await api.post('/api/1.0/jobs/replay', { filter: { group: 'gone' } });
    assert.equal(response.status, 200);
    assert.deepEqual(response.body.replayed, []);
    assert.deepEqual(response.body.skipped, [{ jobId: job.id, code: 'ORIGINALS_MISSING', message: `inbox/${job.relative_path}/instruction.json is missing` }]);
  });

  it('refuses an empty or invalid filter and more than 1,000 jobs at once', async () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ filter: {} }, /^filter: give at least one criterion/],
      [{}, /^filter: /],
      [{ filter: { customer: 'bobs_burgers', colour: 'red' } }, /^filter\.colour: is not a field/],
      [{ filter: { status: ['exploded'] } }, /^filter\.status\.0: /],
      [{ filter: { received_since: 'last week' } }, /^filter\.received_since: must be an ISO 8601/],
      [{ filter: { customer: 'bobs_burgers' }, dry_run: 'yes' }, /^dry_run: /],
    ];
    for (const [body, message] of cases) {
      const response = await api.post('/api/1.0/jobs/replay', body);
      assert.equal(response.status, 400, JSON.stringify(body));
      assert.match(response.body.error.message, message);
    }
    await sql`
      INSERT INTO jobs (idempotency_key, source, customer, category, type, group_name, status, max_attempts, timeout_seconds, relative_path, staging_id, node, received_at)
      SELECT 'bulk-' || n, 'api', 'bulk', 'test', 'echo', 'g', 'succeeded', 1, 60, 'bulk/' || n, 'bulk-' || n, 'elsewhere', now() - n * interval '1 second'
      FROM generate_series(1, 1001) AS n`.execute(t.service.database.db);
    assert.deepEqual((await api.post('/api/1.0/jobs/replay', { filter: { customer: 'bulk' }, dry_run: true })).body, { dryRun: true, matched: 1001 });
    const tooMany = await api.post('/api/1.0/jobs/replay', { filter: { customer: 'bulk' } });
    assert.equal(tooMany.status, 400);
    assert.match(tooMany.body.error.message, /^filter: matches more than 1000 jobs/);
  });
});
