import assert from 'node:assert/strict';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { listJobEvents } from '../../../src/db/jobs-repository.js';
import type { RunningService } from '../../../src/main.js';
import { insertStagingRows } from '../../../src/pipeline/staging/insert-staging-rows.js';
import { encodeSpoolRecord, type SpoolRecord } from '../../../src/pipeline/spool/spool-record.js';
import type { StagedManifest } from '../../../src/pipeline/staging/staged-manifest.js';
import { echoFile } from '../../support/echo-module.js';
import { assertFolderHolds, jobOf, spoolCrashHarness } from './spool-crash-harness.js';

const NODE = 'drain failure node';
const SEGMENT = `00000000000001-${randomUUID()}.spool`;

function recordOf(tag: string, group: string): SpoolRecord {
  const files = [
    { name: 'instruction.json', bytes: Buffer.from(echoFile({ rows: 1, tag })) },
    { name: 'payload.bin', bytes: randomBytes(2500) },
  ];
  const manifest: StagedManifest = {
    manifestVersion: 1,
    stagingId: randomUUID(),
    idempotencyKey: `test:drain-failure:${tag}`,
    source: 'api',
    sourceRef: { tag },
    hints: { subject: `drain failure ${tag}` },
    customer: 'bobs_burgers',
    category: 'test',
    type: 'echo',
    group,
    classified: true,
    receivedAt: '2024-05-06T07:08:09.000Z',
    node: NODE,
    files: files.map(({ name, bytes }) => ({ name, size: bytes.byteLength, sha256: createHash('sha256').update(bytes).digest('hex') })),
  };
  return { manifest, contents: files.map((file) => file.bytes) };
}

describe('spool drain when one record cannot get its folder (real PostgreSQL, real files)', function () {
  this.timeout(30_000);
  const harness = spoolCrashHarness(NODE);
  let service: RunningService | undefined;

  it("writes the other record's folder at once, keeps retrying the failing one alone with a backoff, and deletes the segment once both are done", async () => {
    // A previous run committed both rows (both senders got their 250) and stopped before the drain wrote any folder.
    const { deps } = await harness.startCrashedRun();
    const healthy = recordOf('healthy', 'fine');
    const blocked = recordOf('blocked', 'blocked');
    const healthyBytes = encodeSpoolRecord(healthy);
    const [healthyRow, blockedRow] = await insertStagingRows(deps, [
      { manifest: healthy.manifest, spool: { segment: SEGMENT, offset: 0 } },
      { manifest: blocked.manifest, spool: { segment: SEGMENT, offset: healthyBytes.byteLength } },
    ]);
    assert.ok(healthyRow !== undefined && blockedRow !== undefined && !healthyRow.duplicate && !blockedRow.duplicate);
    await harness.stopCrashedRun();
    const { dataRoot, spoolDir } = harness;
    const segmentFile = await harness.writeSegment(SEGMENT, Buffer.concat([healthyBytes, encodeSpoolRecord(blocked)]));
    // A plain file where the blocked job's group folder must go: its folder cannot be created,
    // while the healthy job's folder (a sibling group) can.
    const blockedFolder = path.join(dataRoot, 'inbox', blockedRow.job.relative_path);
    const blocker = path.dirname(blockedFolder);
    assert.equal(
      path.dirname(blocker),
      path.dirname(path.dirname(path.join(dataRoot, 'inbox', healthyRow.job.relative_path))),
      'the two jobs differ only in their group',
    );
    await mkdir(path.dirname(blocker), { recursive: true });
    await writeFile(blocker, 'in the way');

    service = await harness.startNextRun();
    const spool = service.spool;
    assert.ok(spool !== null, 'the service opened its spool');
    const db = service.database.db;

    // The healthy record is not held back by the failing one.
    await waitUntil(async () => (await jobOf(db, healthy)).status === 'queued', 'the healthy job is queued', 5000);
    const healthyJob = await jobOf(db, healthy);
    assert.equal(healthyJob.id, healthyRow.job.id);
    const healthyFolder = path.join(dataRoot, 'inbox', healthyJob.relative_path);
    await assertFolderHolds(healthyFolder, healthy);
    assert.equal((await listJobEvents(db, healthyJob.id)).filter((event) => event.kind === 'staged').length, 1);

    // The blocked one stays staging, without a folder, and keeps its segment; still so after a retry on its own.
    const assertBlockedPending = async (moment: string): Promise<void> => {
      assert.equal((await jobOf(db, blocked)).status, 'staging', moment);
      assert.equal(existsSync(blockedFolder), false, moment);
      assert.ok(existsSync(segmentFile), `the segment is kept while a record is pending (${moment})`);
      assert.equal(spool.backlog(), 1, moment);
    };
    await assertBlockedPending('right after the healthy job');
    await new Promise((resolve) => setTimeout(resolve, 1300));
    await assertBlockedPending('after its first retry');

    // Once the obstacle is gone, the backoff retries it and it gets its folder.
    await rm(blocker);
    await waitUntil(async () => (await jobOf(db, blocked)).status === 'queued', 'the blocked job is queued once the obstacle is gone', 10_000);
    const blockedJob = await jobOf(db, blocked);
    assert.equal(blockedJob.id, blockedRow.job.id);
    await assertFolderHolds(blockedFolder, blocked);
    assert.equal((await listJobEvents(db, blockedJob.id)).filter((event) => event.kind === 'staged').length, 1);

    // Every record has its durable folder now: the segment goes, nothing half-built is left, and
    // the healthy folder was not touched again.
    await waitUntil(() => !existsSync(segmentFile), 'the segment is deleted', 3000);
    assert.equal(await spool.settled(2000), true);
    assert.equal(spool.backlog(), 0);
    assert.deepEqual(await readdir(spoolDir), []);
    assert.deepEqual(await readdir(path.join(dataRoot, 'inbox', '.incoming')).catch(() => []), []);
    await assertFolderHolds(healthyFolder, healthy);
    assert.equal((await jobOf(db, healthy)).status, 'queued');

    // The log tells how it went: the batch of two failed, then the blocked record failed on its own, more than once.
    await service.stop();
    const lines = (await readFile(path.join(dataRoot, 'log', 'dataprocessor_spool.log'), 'utf8'))
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as { message?: string; records?: number; failures?: number; stagingId?: string });
    const batchFailure = lines.find((line) => line.message?.startsWith('writing spooled arrivals into their folders failed') === true);
    assert.equal(batchFailure?.records, 2, 'the first batch held both records');
    const alone = lines.filter((line) => line.message?.startsWith("a spooled arrival's folder") === true);
    assert.ok(alone.length >= 2, `the blocked record was retried on its own (${alone.length} failures)`);
    assert.deepEqual(
      alone.map((line) => line.failures),
      alone.map((_line, index) => index + 1),
      'its backoff grows with each failure',
    );
  });
});

async function waitUntil(condition: () => boolean | Promise<boolean>, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
