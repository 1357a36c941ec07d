import assert from 'node:assert/strict';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../../src/db/database-schema.js';
import { findJobByIdempotencyKey, finishStagingMany, listJobEvents } from '../../../src/db/jobs-repository.js';
import type { RunningService } from '../../../src/main.js';
import { insertStagingRows } from '../../../src/pipeline/staging/insert-staging-rows.js';
import { encodeSpoolRecord, type SpoolRecord } from '../../../src/pipeline/spool/spool-record.js';
import type { StagedManifest } from '../../../src/pipeline/staging/staged-manifest.js';
import { echoFile } from '../../support/echo-module.js';
import { assertFolderHolds, jobOf, spoolCrashHarness } from './spool-crash-harness.js';
import { readJobManifest } from '../../../src/db/job-manifest.js';

const NODE = 'replay node';
const SEGMENT = `00000000000001-${randomUUID()}.spool`;

function manifestOf(tag: string, contents: ReadonlyArray<{ readonly name: string; readonly bytes: Buffer }>, classified: boolean): StagedManifest {
  return {
    manifestVersion: 1,
    stagingId: randomUUID(),
    idempotencyKey: `test:replay:${tag}`,
    source: classified ? 'api' : 'smtp',
    sourceRef: { tag },
    hints: { subject: `replay ${tag}` },
    customer: 'bobs_burgers',
    category: classified ? 'test' : 'unclassified',
    type: classified ? 'echo' : 'smtp',
    group: classified ? 'replayed' : 'none',
    classified,
    receivedAt: '2024-05-06T07:08:09.000Z',
    node: NODE,
    files: contents.map(({ name, bytes }) => ({ name, size: bytes.byteLength, sha256: createHash('sha256').update(bytes).digest('hex') })),
  };
}

function recordOf(tag: string, files: ReadonlyArray<{ readonly name: string; readonly bytes: Buffer }>, classified: boolean): SpoolRecord {
  return { manifest: manifestOf(tag, files, classified), contents: files.map((file) => file.bytes) };
}

describe('spool replay after a crash (real PostgreSQL, real files)', function () {
  this.timeout(20_000);
  const harness = spoolCrashHarness(NODE);
  let service: RunningService | undefined;
  const startCrashedRun = (): ReturnType<typeof harness.startCrashedRun> => harness.startCrashedRun();
  const writeSegment = (bytes: Buffer): Promise<string> => harness.writeSegment(SEGMENT, bytes);

  async function restart(): Promise<Kysely<Database>> {
    service = await harness.startNextRun();
    const spool = service.spool;
    assert.ok(spool !== null, 'the restarted service opened its spool');
    assert.equal(await spool.settled(15_000), true, 'the replay finished');
    return service.database.db;
  }

  it('writes the folders of committed staging rows, records rows that never committed, leaves finished jobs alone, ignores a torn tail', async () => {
    // The run that "crashed": it committed two rows before it died (one still staging, one
    // whose folder was already written), and one record's INSERT never committed.
    const { db, deps } = await startCrashedRun();
    const staging = recordOf(
      'staging',
      [
        { name: 'instruction.json', bytes: Buffer.from(echoFile({ rows: 1, tag: 'staging' })) },
        { name: 'empty.bin', bytes: Buffer.alloc(0) },
      ],
      true,
    );
    const uncommitted = recordOf(
      'uncommitted',
      [
        { name: 'message.eml', bytes: Buffer.from('Subject: never committed\r\n\r\nhello\r\n') },
        { name: 'attachment.bin', bytes: randomBytes(3000) },
      ],
      false,
    );
    const finished = recordOf('finished', [{ name: 'message.eml', bytes: Buffer.from('Subject: already done\r\n\r\nbye\r\n') }], false);
    const torn = recordOf('torn', [{ name: 'message.eml', bytes: randomBytes(4000) }], false);
    const encoded = [staging, uncommitted, finished].map(encodeSpoolRecord);
    const offsets = encoded.map((_bytes, index) => encoded.slice(0, index).reduce((sum, bytes) => sum + bytes.byteLength, 0));
    const tornBytes = encodeSpoolRecord(torn);

    const [stagingRow, finishedRow] = await insertStagingRows(deps, [
      { manifest: staging.manifest, spool: { segment: SEGMENT, offset: offsets[0] as number } },
      { manifest: finished.manifest, spool: { segment: SEGMENT, offset: offsets[2] as number } },
    ]);
    assert.ok(stagingRow !== undefined && finishedRow !== undefined && !stagingRow.duplicate && !finishedRow.duplicate);
    await finishStagingMany(db, [{ jobId: finishedRow.job.id, status: 'unclassified' }], 'folder written before the crash');
    // Its folder as the drain wrote it, plus a marker: a replay that rewrote it would lose the marker.
    const finishedFolder = path.join(harness.dataRoot, 'inbox', finishedRow.job.relative_path);
    await mkdir(finishedFolder, { recursive: true });
    await writeFile(path.join(finishedFolder, 'message.eml'), finished.contents[0] as Buffer);
    await writeFile(path.join(finishedFolder, 'marker'), 'written before the crash');
    const finishedBefore = await jobOf(db, finished);
    const finishedEventsBefore = (await listJobEvents(db, finishedBefore.id)).length;
    await harness.stopCrashedRun();
    const segmentFile = await writeSegment(Buffer.concat([...encoded, tornBytes.subarray(0, Math.floor(tornBytes.byteLength / 2))]));

    const replayedDb = await restart();

    // (a) The committed staging row: its folder, byte for byte, then queued (its module is known).
    const stagingJob = await jobOf(replayedDb, staging);
    assert.equal(stagingJob.id, stagingRow.job.id);
    assert.equal(stagingJob.status, 'queued');
    await assertFolderHolds(path.join(harness.dataRoot, 'inbox', stagingJob.relative_path), staging);
    assert.ok((await listJobEvents(replayedDb, stagingJob.id)).some((event) => event.kind === 'staged' && event.status === 'queued'));

    // (b) The record whose row never committed: recorded now, with its folder, unclassified.
    const uncommittedJob = await jobOf(replayedDb, uncommitted);
    assert.equal(uncommittedJob.status, 'unclassified');
    assert.equal(uncommittedJob.staging_id, uncommitted.manifest.stagingId);
    assert.deepEqual(readJobManifest(uncommittedJob).spool, { segment: SEGMENT, offset: offsets[1] });
    await assertFolderHolds(path.join(harness.dataRoot, 'inbox', uncommittedJob.relative_path), uncommitted);

    // (c) Already finished: untouched, row and folder.
    const finishedAfter = await jobOf(replayedDb, finished);
    assert.equal(finishedAfter.status, 'unclassified');
    assert.deepEqual(finishedAfter.updated_at, finishedBefore.updated_at);
    assert.equal((await listJobEvents(replayedDb, finishedAfter.id)).length, finishedEventsBefore);
    assert.deepEqual((await readdir(finishedFolder)).sort(), ['marker', 'message.eml']);

    // The torn record was never acknowledged: no job for it.
    assert.equal(await findJobByIdempotencyKey(replayedDb, torn.manifest.idempotencyKey), undefined);
    const count = await sql<{ count: string }>`SELECT count(*) FROM jobs`.execute(replayedDb);
    assert.equal(Number(count.rows[0]?.count), 3);

    // Every record has its durable folder, so the segment goes; nothing half-built is left.
    await waitUntil(() => !existsSync(segmentFile), 'the replayed segment is deleted');
    assert.deepEqual(await readdir(path.dirname(segmentFile)), []);
    assert.deepEqual(await readdir(path.join(harness.dataRoot, 'inbox', '.incoming')).catch(() => []), []);
  });

  it('keeps a segment whose unreadable tail holds a committed job, and still writes the folders it can read', async () => {
    const { deps } = await startCrashedRun();
    const whole = recordOf('whole', [{ name: 'message.eml', bytes: Buffer.from('Subject: readable\r\n\r\nfine\r\n') }], false);
    const damaged = recordOf('damaged', [{ name: 'message.eml', bytes: randomBytes(2000) }], false);
    const wholeBytes = encodeSpoolRecord(whole);
    const damagedBytes = encodeSpoolRecord(damaged);
    // Both rows committed, so both senders got their 250; then the disk lost part of the second record.
    await insertStagingRows(deps, [
      { manifest: whole.manifest, spool: { segment: SEGMENT, offset: 0 } },
      { manifest: damaged.manifest, spool: { segment: SEGMENT, offset: wholeBytes.byteLength } },
    ]);
    await harness.stopCrashedRun();
    const corrupted = Buffer.from(damagedBytes);
    corrupted[corrupted.byteLength - 1] = (corrupted[corrupted.byteLength - 1] as number) ^ 0xff;
    const segmentFile = await writeSegment(Buffer.concat([wholeBytes, corrupted]));

    const replayedDb = await restart();
    const wholeJob = await jobOf(replayedDb, whole);
    assert.equal(wholeJob.status, 'unclassified');
    await assertFolderHolds(path.join(harness.dataRoot, 'inbox', wholeJob.relative_path), whole);
    const damagedJob = await jobOf(replayedDb, damaged);
    assert.equal(damagedJob.status, 'staging', 'left for a person: its original cannot be read');
    assert.equal(existsSync(path.join(harness.dataRoot, 'inbox', damagedJob.relative_path)), false);
    await service?.stop();
    assert.ok(existsSync(segmentFile), 'the damaged segment is kept for inspection');
  });
});

async function waitUntil(condition: () => boolean, what: string, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
