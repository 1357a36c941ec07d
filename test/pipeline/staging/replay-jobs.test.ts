import assert from 'node:assert/strict';
import { replayJobs } from '../../../src/pipeline/staging/replay-jobs.js';
import { startTestService, type TestService } from '../../support/start-test-service.js';

describe('replayJobs (the pipeline part of a replay, as the CLI or the REST route calls it)', () => {
  let t: TestService;
  let deps: Parameters<typeof replayJobs>[0];
  before(async () => {
    t = await startTestService();
    deps = { db: t.service.database.db, config: t.config, accept: (arrival) => t.service.accept(arrival) };
  });
  after(async () => {
    await t?.stop();
  });

  it('counts on a dry run, replays finished jobs oldest first, and returns the same jobs for the same batch', async () => {
    const older = await t.service.accept(t.echoArrival({ rows: 1, tag: 'older' }, { receivedAt: new Date('2024-01-01T00:00:00Z'), group: 'replayed' }));
    const newer = await t.service.accept(t.echoArrival({ rows: 1, tag: 'newer' }, { receivedAt: new Date('2024-01-02T00:00:00Z'), group: 'replayed' }));
    await t.waitForStatus(older.job.id, ['succeeded']);
    await t.waitForStatus(newer.job.id, ['succeeded']);
    const filter = { group: 'replayed' };

    assert.deepEqual(await replayJobs(deps, { filter, dryRun: true }), { kind: 'counted', matched: 2 });
    const first = await replayJobs(deps, { filter });
    assert.equal(first.kind, 'replayed');
    if (first.kind !== 'replayed') return;
    assert.match(first.batch, /^[0-9a-f-]{36}$/, 'a new batch name when none is given');
    assert.deepEqual(
      first.replayed.map((item) => [item.jobId, item.duplicate]),
      [
        [older.job.id, false],
        [newer.job.id, false],
      ],
    );
    assert.deepEqual(first.skipped, []);

    const again = await replayJobs(deps, { filter: { ...filter, source: 'api' }, batch: first.batch });
    assert.equal(again.kind, 'replayed');
    if (again.kind !== 'replayed') return;
    assert.deepEqual(
      again.replayed.map((item) => [item.replayJobId, item.duplicate]),
      first.replayed.map((item) => [item.replayJobId, true]),
    );
  });
});
