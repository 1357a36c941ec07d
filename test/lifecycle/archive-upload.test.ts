import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { cp, readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { sql } from 'kysely';
import { findJob } from '../../src/db/jobs-repository.js';
import { openArchiveObjects, type ArchiveObjects } from '../../src/lifecycle/archive-objects.js';
import { ArchiveUploadTask } from '../../src/lifecycle/archive-upload-task.js';
import { jobFolder } from '../../src/lifecycle/job-folders.js';
import { loadConfig } from '../../src/config/load-config.js';
import { jobDetailView } from '../../src/http/jobs/job-view.js';
import { Logging } from '../../src/logging/logging.js';
import { startS3Emulator, type S3Emulator } from '../support/s3-test-env.js';
import { startTestService, TEST_ADMIN_KEY, type TestService } from '../support/start-test-service.js';
import { ARCHIVE_BUCKET, archiveTierServiceOptions, countingObjects, jobPrefix, objectsUnder } from './archive-tier-fixture.js';
import { RetentionFixture } from './retention-fixture.js';

/** The archive's bucket tier on fauxqs, a real data root and PostgreSQL: upload, verify, record, then remove the local copy. */
describe('archive copies in a bucket (archive.s3)', function () {
  this.timeout(120_000);
  let s3: S3Emulator;
  let t: TestService;
  let f: RetentionFixture;
  const opened: ArchiveObjects[] = [];
  before(async () => {
    s3 = await startS3Emulator();
    s3.server.createBucket(ARCHIVE_BUCKET);
  });
  after(async () => {
    await s3?.stop();
  });
  beforeEach(async () => {
    t = await startTestService(archiveTierServiceOptions(s3));
    await t.service.sweeper?.stop();
    f = new RetentionFixture(t);
  });
  afterEach(async () => {
    for (const objects of opened.splice(0)) objects.destroy();
    await t?.stop();
  });

  const logger = () => new Logging({ logDir: path.join(t.dataRoot, 'log'), level: 'error', console: false }).for('archive-test');
  async function taskWith(wrap: (objects: ArchiveObjects) => ArchiveObjects, settings = t.config.archive.s3!): Promise<ArchiveUploadTask> {
    const objects = await openArchiveObjects(settings);
    opened.push(objects);
    return new ArchiveUploadTask({ db: f.db, config: t.config, settings, nodeName: t.config.node.name, logger: logger(), objects: wrap(objects) });
  }
  async function localFiles(dir: string): Promise<Map<string, Buffer>> {
    const found = new Map<string, Buffer>();
    for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
      if (entry.isFile()) found.set(path.relative(dir, path.join(entry.parentPath, entry.name)), await readFile(path.join(entry.parentPath, entry.name)));
    }
    return found;
  }

  it('config: archive.s3 is off by default; a block with only a bucket takes the documented defaults', () => {
    assert.equal(loadConfig({ env: {}, cwd: t.dataRoot }).archive.s3, null);
    const settings = loadConfig({ env: {}, cwd: t.dataRoot, overrides: { archive: { s3: { bucket: 'my-archive' } } } }).archive.s3;
    assert.deepEqual(settings, {
      bucket: 'my-archive',
      prefix: '',
      endpoint: null,
      region: null,
      forcePathStyle: false,
      storageClass: null,
      removeLocal: true,
      intervalSeconds: 300,
      concurrency: 2,
    });
    assert.throws(() => loadConfig({ env: {}, cwd: t.dataRoot, overrides: { archive: { s3: { bucket: 'x', prefix: 'no-slash' } } } }), /archive\.s3\.prefix/);
  });

  it('uploads every file, verifies it, records the copy on the row, then removes the local copy; a second run finds nothing', async () => {
    const job = await f.finishedJob({ daysAgo: 1 });
    const unarchived = await f.finishedJob({ fail: true, daysAgo: 1 });
    const local = jobFolder(t.config, 'archive', job.relative_path);
    const before = await localFiles(local);
    assert.ok(before.size > 0);

    const report = await t.service.archiveUploads!.runOnce();
    assert.notEqual(report, 'busy');
    assert.deepEqual(report, { uploaded: 1, bytes: [...before.values()].reduce((sum, file) => sum + file.byteLength, 0), failed: 0, passed: 1 });

    const stored = await objectsUnder(s3, jobPrefix(job));
    assert.deepEqual(
      [...stored.entries()].map(([key, body]) => [key, sha256(body)]),
      [...before.entries()].map(([name, body]) => [`${jobPrefix(job)}${name}`, sha256(body)]),
      'the bucket holds every file, byte for byte',
    );
    assert.equal((await f.remains(job)).archive, false, 'the local copy is gone');
    const row = (await findJob(f.db, job.id))!;
    assert.equal(row.archive_bucket, ARCHIVE_BUCKET);
    assert.equal(row.archive_key_prefix, jobPrefix(job));
    assert.equal(row.archive_objects, before.size);
    assert.ok(row.archive_uploaded_at !== null && row.archive_settled_at !== null);
    assert.equal(jobDetailView(row, []).paths.archive, `s3://${ARCHIVE_BUCKET}/${jobPrefix(job)}`);
    assert.equal((await findJob(f.db, unarchived.id))!.archive_bucket, null, 'a job without an archive copy has nothing in the bucket');

    assert.deepEqual(await t.service.archiveUploads!.runOnce(), { uploaded: 0, bytes: 0, failed: 0, passed: 0 }, 'both are settled');
    const metrics = await (await fetch(`${t.service.httpUrl}/metrics`, { headers: { 'X-Api-Key': TEST_ADMIN_KEY } })).text();
    assert.match(metrics, /^dataprocessor_archive_uploads_total\{outcome="uploaded"\} 1$/m);
    assert.match(metrics, new RegExp(`^dataprocessor_archive_uploaded_bytes_total ${(report as { bytes: number }).bytes}$`, 'm'));
  });

  it('keeps the local copy when the copy reads back differently or the bucket is down, and uploads it at a later run', async () => {
    const job = await f.finishedJob({ daysAgo: 1 });
    const local = jobFolder(t.config, 'archive', job.relative_path);
    const before = await localFiles(local);
    const failures: string[] = [];
    // Another writer replaces each object between the PUT and the read-back.
    const tampering = await taskWith((objects) =>
      countingObjects(objects, async (key) => {
        await s3.s3.send(new PutObjectCommand({ Bucket: ARCHIVE_BUCKET, Key: key, Body: 'not the original' }));
      }),
    );
    const tampered = await tampering.runOnce();
    assert.deepEqual(tampered, { uploaded: 0, bytes: 0, failed: 1, passed: 0 });
    assert.deepEqual(await localFiles(local), before, 'the local copy stays, intact');
    assert.equal((await findJob(f.db, job.id))!.archive_bucket, null, 'nothing recorded');
    assert.equal((await objectsUnder(s3, jobPrefix(job))).size, 0, 'the unverified objects are removed');

    const observed = new ArchiveUploadTask({
      db: f.db,
      config: t.config,
      settings: t.config.archive.s3!,
      nodeName: t.config.node.name,
      logger: logger(),
      objects: await openArchiveObjects({ ...t.config.archive.s3!, endpoint: 'http://127.0.0.1:9' }).then((objects) => (opened.push(objects), objects)),
      observer: { failed: (reason) => failures.push(reason) },
    });
    assert.deepEqual(await observed.runOnce(), { uploaded: 0, bytes: 0, failed: 1, passed: 0 });
    assert.deepEqual(failures, ['error']);
    assert.deepEqual(await localFiles(local), before, 'the bucket being down keeps the local copy');
    assert.equal((await findJob(f.db, job.id))!.archive_uploaded_at, null);

    const retried = await t.service.archiveUploads!.runOnce();
    assert.equal(retried !== 'busy' && retried.uploaded, 1, 'a later run uploads it');
    assert.equal((await f.remains(job)).archive, false);
  });

  it('a job run again made a new local copy: it is uploaded again over the same keys, and objects the new copy has not are removed', async () => {
    const job = await f.finishedJob({ daysAgo: 1 });
    await t.service.archiveUploads!.runOnce();
    const first = await objectsUnder(s3, jobPrefix(job));
    await s3.s3.send(new PutObjectCommand({ Bucket: ARCHIVE_BUCKET, Key: `${jobPrefix(job)}from-an-earlier-mode.tar.gz`, Body: 'old' }));
    // What a second run of the job leaves (a retry after a later failure, a replay over it): a new local copy, a later end.
    await restoreLocalCopy(t, job.relative_path);
    await sql`UPDATE jobs SET finished_at = clock_timestamp() WHERE id = ${job.id}`.execute(f.db);
    assert.equal((await f.remains(job)).archive, true, 'the run made a new local copy');

    const report = await t.service.archiveUploads!.runOnce();
    assert.equal(report !== 'busy' && report.uploaded, 1);
    assert.deepEqual([...(await objectsUnder(s3, jobPrefix(job))).keys()], [...first.keys()], 'the same keys, the stray one removed');
    assert.equal((await f.remains(job)).archive, false);
  });

  it('stop aborts the transfer in flight: the job keeps its local copy and stays pending, with no failure counted', async () => {
    const job = await f.finishedJob({ daysAgo: 1 });
    let started: () => void = () => undefined;
    const putStarted = new Promise<void>((resolve) => (started = resolve));
    const failures: string[] = [];
    const objects = await openArchiveObjects(t.config.archive.s3!);
    opened.push(objects);
    const slow: ArchiveObjects = {
      ...objects,
      bucket: objects.bucket,
      // A PUT that lasts until it is aborted (an upload of a large file).
      put: (args) =>
        new Promise((_resolve, reject) => {
          started();
          args.signal?.addEventListener('abort', () => reject(new Error('aborted')));
        }),
    };
    const task = new ArchiveUploadTask({
      db: f.db,
      config: t.config,
      settings: t.config.archive.s3!,
      nodeName: t.config.node.name,
      logger: logger(),
      objects: slow,
      observer: { failed: (reason) => failures.push(reason) },
    });
    const run = task.runOnce();
    await putStarted;
    await task.stop();
    assert.deepEqual(await run, { uploaded: 0, bytes: 0, failed: 0, passed: 0 });
    assert.deepEqual(failures, []);
    assert.equal((await f.remains(job)).archive, true, 'the local copy stays');
    assert.equal((await findJob(f.db, job.id))!.archive_settled_at, null, 'still pending');
  });

  it('two runners at once never upload a job twice; a run after a kill between record and removal only removes the local copy', async () => {
    const jobs = [await f.finishedJob({ daysAgo: 3 }), await f.finishedJob({ daysAgo: 2 }), await f.finishedJob({ daysAgo: 1 })];
    const fileCount = (await Promise.all(jobs.map(async (job) => (await localFiles(jobFolder(t.config, 'archive', job.relative_path))).size))).reduce(
      (a, b) => a + b,
    );
    const counters: Array<ArchiveObjects & { puts: string[] }> = [];
    const tasks = await Promise.all(
      [1, 2].map(() =>
        taskWith((objects) => {
          const counting = countingObjects(objects);
          counters.push(counting);
          return counting;
        }),
      ),
    );
    const reports = await Promise.all(tasks.map((task) => task.runOnce()));
    const puts = counters.flatMap((counter) => counter.puts);
    assert.equal(puts.length, fileCount, `every file once: ${JSON.stringify(reports)}`);
    assert.equal(new Set(puts).size, fileCount);
    assert.equal(
      reports.reduce((sum, report) => sum + (report === 'busy' ? 0 : report.uploaded), 0),
      jobs.length,
    );

    // A kill after the record, before the local copy went: the copy is back and the job unsettled.
    const [first] = jobs;
    await restoreLocalCopy(t, first!.relative_path);
    assert.equal((await f.remains(first!)).archive, true);
    await sql`UPDATE jobs SET archive_settled_at = NULL WHERE id = ${first!.id}`.execute(f.db);
    let again: (ArchiveObjects & { puts: string[] }) | undefined;
    const rerun = await taskWith((objects) => (again = countingObjects(objects)));
    assert.deepEqual(await rerun.runOnce(), { uploaded: 0, bytes: 0, failed: 0, passed: 1 });
    assert.deepEqual(again?.puts, [], 'nothing uploaded again');
    assert.equal((await f.remains(first!)).archive, false, 'the local copy is removed');
    assert.ok((await findJob(f.db, first!.id))!.archive_settled_at !== null);
  });
});

/** Puts a job's archive folder back (a copy of its inbox), as if the removal never happened. */
async function restoreLocalCopy(t: TestService, relativePath: string): Promise<void> {
  await cp(jobFolder(t.config, 'inbox', relativePath), jobFolder(t.config, 'archive', relativePath), { recursive: true });
}

function sha256(body: Buffer): string {
  return createHash('sha256').update(body).digest('hex');
}
