import assert from 'node:assert/strict';
import { apiClient } from '../support/http-client.js';
import { startTestService, TEST_ADMIN_KEY, type TestService } from '../support/start-test-service.js';
import { RETENTION_SERVICE_OPTIONS, RetentionFixture, TEST_RETENTION } from './retention-fixture.js';

/** Free space below disk.warnFreeBytes (set above any real disk here): warned of, and purged under when asked. */
describe('disk pressure', function () {
  this.timeout(120_000);
  let t: TestService;
  afterEach(async () => {
    await t?.stop();
  });

  it('warns in /readyz and /metrics before anything is refused, and the pressure purge removes what retention allows', async () => {
    t = await startTestService({
      customers: RETENTION_SERVICE_OPTIONS.customers,
      overrides: {
        ...RETENTION_SERVICE_OPTIONS.overrides,
        retention: { ...TEST_RETENTION, intervalSeconds: 1 },
        disk: { warnFreeBytes: 2 ** 52, pressurePurge: true, checkIntervalSeconds: 3600 },
      },
    });
    await t.service.sweeper?.stop();
    const f = new RetentionFixture(t);
    const api = apiClient(t.service.httpUrl!, TEST_ADMIN_KEY);

    const ready = await api.get('/readyz');
    assert.equal(ready.status, 200, 'still ready: a warning refuses nothing');
    assert.match(ready.body.checks.dataRoot.warning, /bytes free under the data root \(warning below/);
    const metrics = await (await fetch(`${t.service.httpUrl}/metrics`)).text();
    assert.match(metrics, /dataprocessor_disk_pressure\{area="data"\} 1/);
    assert.match(metrics, /dataprocessor_disk_free_bytes\{area="data"\} \d+/);

    const old = await f.finishedJob({ daysAgo: 20 });
    const recent = await f.finishedJob({ daysAgo: 1 });
    // The start-up check found nothing to purge and waits retention.intervalSeconds (1 s) before trying again.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await t.service.purge!.checkDisk();
    const deadline = Date.now() + 20_000;
    for (;;) {
      const runs = await t.service.purge!.listRuns(5);
      if (runs.some((run) => run.trigger === 'pressure' && run.outcome === 'done' && run.removed.length > 0)) break;
      if (Date.now() > deadline) throw new Error(`no pressure run removed anything: ${JSON.stringify(runs)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal((await f.remains(old)).inbox, false, 'the eligible inbox went');
    assert.equal((await f.remains(recent)).inbox, true, 'retention still decides: the recent one stays');

    const listed = await api.get('/api/1.0/admin/purge');
    assert.equal(listed.status, 200);
    assert.ok(listed.body.runs.some((run: { trigger: string }) => run.trigger === 'pressure'));
    const dry = await api.post('/api/1.0/admin/purge?dryRun=true', {});
    assert.equal(dry.status, 200);
    assert.deepEqual(dry.body.removed, [], 'nothing left that retention allows');
    const metricsAfter = await (await fetch(`${t.service.httpUrl}/metrics`)).text();
    assert.match(metricsAfter, /dataprocessor_purged_total\{kind="inbox"\} 1/);
    assert.match(metricsAfter, /dataprocessor_purged_bytes_total\{kind="inbox"\} [1-9]\d*/);
    assert.match(metricsAfter, /dataprocessor_purge_runs_total\{trigger="pressure",outcome="done"\} [1-9]/);
  });
});
