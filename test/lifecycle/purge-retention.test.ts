import assert from 'node:assert/strict';
import { retryJob } from '../../src/db/job-actions-repository.js';
import { findJob } from '../../src/db/jobs-repository.js';
import { replayArrival } from '../../src/pipeline/staging/replay-arrival.js';
import { startTestService, type TestService } from '../support/start-test-service.js';
import { GONE, KEPT, KEPT_UNARCHIVED, RETENTION_SERVICE_OPTIONS, RetentionFixture } from './retention-fixture.js';

/** Retention on a real data root and PostgreSQL: exactly the eligible data goes, and nothing else. */
describe('the retention purge', function () {
  this.timeout(120_000);
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

  it('removes exactly what the windows allow, and the dry run reported the same beforehand', async () => {
    const jobs = {
      archivedOld: await f.finishedJob({ daysAgo: 20 }), // inbox past 10 days with an archive copy: inbox goes
      archivedRecent: await f.finishedJob({ daysAgo: 5 }), // inside every window: all stays
      onlyCopyAncient: await f.finishedJob({ fail: true, daysAgo: 1000 }), // the only copy, inboxDays null: all stays
      aliceOnlyCopy: await f.finishedJob({ customer: 'alice', fail: true, daysAgo: 20 }), // alice's override: inbox after 5 days
      archivedAncient: await f.finishedJob({ daysAgo: 300 }), // past rows (200), archive (100), inbox (10): everything goes
      archivedMiddle: await f.finishedJob({ daysAgo: 150 }), // inbox and archive copy go, the row stays
      copyMissing: await f.finishedJob({ daysAgo: 20 }), // its archive copy vanished: the inbox is the only copy now
      copyMissingAncient: await f.finishedJob({ daysAgo: 300 }), // the same, past every window: the row and the inbox stay
      running: await f.runningJob(1000), // not final: never touched
      unclassifiedOld: await f.unclassifiedJob(100), // past 60 days: row and original go
      unclassifiedRecent: await f.unclassifiedJob(10),
      refusedOld: await f.failedArrival(40), // past 30 days: the record and its note go
      refusedRecent: await f.failedArrival(10),
    };
    await f.removeArchiveCopy(jobs.copyMissing);
    await f.removeArchiveCopy(jobs.copyMissingAncient);
    const before = await remainsOf(jobs);

    const dry = await t.service.purge!.run({ trigger: 'manual', dryRun: true });
    assert.notEqual(dry, 'busy');
    assert.deepEqual(await remainsOf(jobs), before, 'a dry run removes nothing');

    const real = await t.service.purge!.run({ trigger: 'manual', dryRun: false });
    assert.notEqual(real, 'busy');
    if (dry === 'busy' || real === 'busy') return;
    assert.equal(real.outcome, 'done', real.error);
    assert.deepEqual(real.removed, dry.removed, 'the dry run matches the real run, customer by customer and kind by kind, bytes included');
    assert.deepEqual(
      real.removed.map(({ customer, kind, count }) => ({ customer, kind, count })),
      [
        { customer: 'alice', kind: 'inbox', count: 1 },
        { customer: 'bobs_burgers', kind: 'archive', count: 1 },
        { customer: 'bobs_burgers', kind: 'failedArrivals', count: 1 },
        { customer: 'bobs_burgers', kind: 'inbox', count: 2 },
        { customer: 'bobs_burgers', kind: 'jobs', count: 1 },
        { customer: 'bobs_burgers', kind: 'unclassified', count: 1 },
      ],
    );
    assert.ok(
      real.removed.every((tally) => tally.bytes > 0),
      'bytes are counted',
    );

    assert.deepEqual(await remainsOf(jobs), {
      archivedOld: { ...KEPT, inbox: false, inboxPurged: true },
      archivedRecent: KEPT,
      onlyCopyAncient: KEPT_UNARCHIVED,
      aliceOnlyCopy: { ...KEPT_UNARCHIVED, inbox: false, inboxPurged: true },
      archivedAncient: GONE,
      archivedMiddle: { ...KEPT, inbox: false, archive: false, inboxPurged: true, archivePurged: true },
      copyMissing: KEPT_UNARCHIVED,
      copyMissingAncient: KEPT_UNARCHIVED,
      running: KEPT,
      unclassifiedOld: GONE,
      unclassifiedRecent: KEPT_UNARCHIVED,
      refusedOld: GONE,
      refusedRecent: KEPT_UNARCHIVED,
    });

    const again = await t.service.purge!.run({ trigger: 'manual', dryRun: false });
    assert.deepEqual(again !== 'busy' && again.removed, [], 'a second run finds nothing left to do');

    // A job whose originals are gone cannot run again; one inside its window can be replayed.
    const retried = await retryJob(f.db, { jobId: jobs.aliceOnlyCopy.id, actor: { keyId: '1', label: 'test' } });
    assert.equal(retried.outcome, 'conflict');
    const recent = await findJob(f.db, jobs.archivedRecent.id);
    const plan = await replayArrival({
      dataRoot: t.config.dataRoot,
      nodeName: t.config.node.name,
      sharedDataRoot: false,
      job: recent!,
      batch: 'retention-test',
    });
    assert.ok('arrival' in plan, JSON.stringify(plan));
    const replayed = await t.service.accept(plan.arrival);
    assert.equal((await t.waitForStatus(replayed.job.id, ['succeeded', 'failed'])).status, 'succeeded');
  });

  it('records each run, readable through the task (and GET /admin/purge)', async () => {
    await f.finishedJob({ daysAgo: 20 });
    await t.service.purge!.run({ trigger: 'manual', dryRun: true });
    await t.service.purge!.run({ trigger: 'manual', dryRun: false });
    const runs = await t.service.purge!.listRuns();
    assert.deepEqual(
      runs.map((run) => [run.dryRun, run.outcome, run.removed.map((tally) => tally.kind)]),
      [
        [false, 'done', ['inbox']],
        [true, 'done', ['inbox']],
      ],
    );
  });

  async function remainsOf<T extends Record<string, Parameters<RetentionFixture['remains']>[0]>>(
    jobs: T,
  ): Promise<Record<keyof T, Awaited<ReturnType<RetentionFixture['remains']>>>> {
    const out: Partial<Record<keyof T, Awaited<ReturnType<RetentionFixture['remains']>>>> = {};
    for (const [name, job] of Object.entries(jobs)) out[name as keyof T] = await f.remains(job);
    return out as Record<keyof T, Awaited<ReturnType<RetentionFixture['remains']>>>;
  }
});
