import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { openDatabase } from '../../src/db/open-database.js';
import type { JobRow } from '../../src/db/database-schema.js';
import { purgeRetention } from '../../src/lifecycle/purge-retention.js';
import { PurgeTallies } from '../../src/lifecycle/purge-tally.js';
import { PurgeTask, type PurgeReport } from '../../src/lifecycle/purge-task.js';
import { Logging } from '../../src/logging/logging.js';
import { startTestService, type TestService } from '../support/start-test-service.js';
import { GONE, KEPT, RETENTION_SERVICE_OPTIONS, RetentionFixture, TEST_RETENTION } from './retention-fixture.js';

const PURGE_PROCESS = fileURLToPath(new URL('../support/purge-process.ts', import.meta.url));

/** Two runners, and a runner killed with SIGKILL half-way: nothing is purged twice or left half-done. */
describe('the retention purge, concurrently and killed', function () {
  this.timeout(180_000);
  let t: TestService;
  let f: RetentionFixture;
  beforeEach(async () => {
    t = await startTestService(RETENTION_SERVICE_OPTIONS);
    await t.service.sweeper?.stop();
    f = new RetentionFixture(t);
  });
  afterEach(async () => {
    await t?.stop();
  });

  /** `whole` jobs past every window (they go entirely), `inbox` jobs whose inbox goes, `kept` inside every window. */
  async function scenario(counts: {
    readonly whole: number;
    readonly inbox: number;
    readonly kept: number;
  }): Promise<{ whole: JobRow[]; inbox: JobRow[]; kept: JobRow[] }> {
    const make = async (n: number, daysAgo: number): Promise<JobRow[]> => {
      const jobs: JobRow[] = [];
      for (let i = 0; i < n; i += 1) jobs.push(await f.finishedJob({ daysAgo }));
      return jobs;
    };
    return { whole: await make(counts.whole, 300), inbox: await make(counts.inbox, 20), kept: await make(counts.kept, 2) };
  }

  async function assertPurged(jobs: { whole: JobRow[]; inbox: JobRow[]; kept: JobRow[] }): Promise<void> {
    for (const job of jobs.whole) assert.deepEqual(await f.remains(job), GONE);
    for (const job of jobs.inbox) assert.deepEqual(await f.remains(job), { ...KEPT, inbox: false, inboxPurged: true });
    for (const job of jobs.kept) assert.deepEqual(await f.remains(job), KEPT);
  }

  const counted = (reports: readonly PurgeReport[], kind: string): number =>
    reports
      .flatMap((report) => report.removed)
      .filter((tally) => tally.kind === kind)
      .reduce((sum, tally) => sum + tally.count, 0);

  it('lets one instance purge at a time, and two runners that bypass the lock still never remove the same thing twice', async () => {
    const jobs = await scenario({ whole: 12, inbox: 12, kept: 3 });
    const logging = new Logging({ logDir: t.config.logDir, level: 'warn', console: false });
    const other = await openDatabase({ url: t.database.url, dataRoot: t.dataRoot, embeddedPort: 0, poolSize: 4, logger: logging.for('database') });
    try {
      const nodeName = t.config.node.name;
      // Slow batches, so both instances are surely running at once.
      const slow = { ...t.config, retention: { ...t.config.retention, pauseMs: 100 } };
      const second = new PurgeTask({ db: other.db, config: slow, nodeName, logger: logging.for('retention') });
      const first = new PurgeTask({ db: t.service.database.db, config: slow, nodeName, logger: logging.for('retention') });
      const results = await Promise.all([first.run({ trigger: 'manual', dryRun: false }), second.run({ trigger: 'manual', dryRun: false })]);
      assert.equal(results.filter((result) => result === 'busy').length, 1, 'the advisory lock lets one run');
      const reports = results.filter((result): result is PurgeReport => result !== 'busy');
      assert.equal(counted(reports, 'jobs'), 12);
      assert.equal(counted(reports, 'inbox'), 12);
      await assertPurged(jobs);

      // Below the lock, the row locks and re-checks alone keep two runners apart.
      const more = await scenario({ whole: 12, inbox: 12, kept: 0 });
      const deps = { config: t.config, nodeName };
      const tallies = [new PurgeTallies(), new PurgeTallies()];
      await Promise.all([
        purgeRetention({ ...deps, db: t.service.database.db }, { dryRun: false, tallies: tallies[0]! }),
        purgeRetention({ ...deps, db: other.db }, { dryRun: false, tallies: tallies[1]! }),
      ]);
      const sum = (kind: string): number =>
        tallies
          .flatMap((tally) => tally.list())
          .filter((tally) => tally.kind === kind)
          .reduce((total, tally) => total + tally.count, 0);
      assert.equal(sum('jobs'), 12, 'each job deleted by exactly one runner');
      assert.equal(sum('inbox'), 12, 'each inbox removed by exactly one runner');
      await assertPurged({ ...more, kept: jobs.kept });
    } finally {
      await other.close();
      await logging.close();
    }
  });

  it('resumes after the purging process is killed with SIGKILL half-way', async () => {
    const jobs = await scenario({ whole: 20, inbox: 20, kept: 4 });
    const child = spawn(process.execPath, ['--import', 'tsx/esm', PURGE_PROCESS], {
      env: {
        ...process.env,
        DP_TEST_DATABASE_URL: t.database.url,
        DP_TEST_DATA_ROOT: t.dataRoot,
        DP_TEST_NODE_NAME: t.config.node.name,
        DP_TEST_OVERRIDES: JSON.stringify({ retention: { ...TEST_RETENTION, batchSize: 2, pauseMs: 150 }, modules: { 'test/echo': { archive: 'copy' } } }),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    // Kill it once it has removed a few jobs, long before it is done.
    const deadline = Date.now() + 60_000;
    for (;;) {
      const runs = await t.service.purge!.listRuns(1);
      const removed = runs[0]?.removed.reduce((sum, tally) => sum + tally.count, 0) ?? 0;
      if (removed >= 4) break;
      if (Date.now() > deadline) throw new Error('the purge process removed nothing in 60 s');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    child.kill('SIGKILL');
    await exited;
    const [killed] = await t.service.purge!.listRuns(1);
    assert.equal(killed?.outcome, null, 'the killed run never ended');
    const left = (await Promise.all(jobs.whole.map((job) => f.remains(job)))).filter((remains) => remains.row).length;
    assert.ok(left > 0, 'the kill came before the end');

    // The lock died with the process's session; the next run finishes the work.
    let report: PurgeReport | 'busy' = 'busy';
    for (let attempt = 0; attempt < 50 && report === 'busy'; attempt += 1) {
      report = await t.service.purge!.run({ trigger: 'manual', dryRun: false });
      if (report === 'busy') await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.notEqual(report, 'busy');
    await assertPurged(jobs);
  });
});
