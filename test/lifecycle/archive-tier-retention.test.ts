import assert from 'node:assert/strict';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { updateCustomer } from '../../src/db/customers-repository.js';
import { planOffboarding, purgeCustomer } from '../../src/lifecycle/offboard-customer.js';
import { startS3Emulator, type S3Emulator } from '../support/s3-test-env.js';
import { startTestService, type TestService } from '../support/start-test-service.js';
import { ARCHIVE_BUCKET, ARCHIVE_PREFIX, archiveTierServiceOptions, deleteUnder, jobPrefix, objectsUnder } from './archive-tier-fixture.js';
import { RetentionFixture } from './retention-fixture.js';
import { archiveRootOf } from '../../src/pipeline/paths.js';

/** Retention and offboarding with archive copies in the bucket tier: the objects go with the copy, and count as it. */
describe('retention and offboarding of archive copies in a bucket', function () {
  this.timeout(120_000);
  let s3: S3Emulator;
  let t: TestService;
  let f: RetentionFixture;
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
    await t?.stop();
  });

  it('the purge removes the bucket objects of purged archive copies and whole jobs, and lets an inbox go only while its copy is in the bucket', async () => {
    const jobs = {
      inboxDue: await f.finishedJob({ daysAgo: 20 }), // inbox past 10 days, its copy only in the bucket: the inbox goes
      copyLost: await f.finishedJob({ daysAgo: 20 }), // the same, but its objects were deleted by hand: the inbox is the only copy
      archiveDue: await f.finishedJob({ daysAgo: 150 }), // inbox and the copy (objects) go, the row stays
      jobDue: await f.finishedJob({ daysAgo: 300 }), // everything goes, objects included
    };
    const uploaded = await t.service.archiveUploads!.runOnce();
    assert.equal(uploaded !== 'busy' && uploaded.uploaded, 4);
    await deleteUnder(s3, jobPrefix(jobs.copyLost));
    for (const job of Object.values(jobs)) assert.equal((await f.remains(job)).archive, false, 'every local copy went to the bucket');

    const dry = await t.service.purge!.run({ trigger: 'manual', dryRun: true });
    const real = await t.service.purge!.run({ trigger: 'manual', dryRun: false });
    assert.ok(dry !== 'busy' && real !== 'busy');
    assert.equal(real.outcome, 'done', real.error);
    assert.deepEqual(real.removed, dry.removed, 'the dry run counted the bucket objects as the real run removed them');
    assert.deepEqual(
      real.removed.map(({ kind, count }) => ({ kind, count })),
      [
        { kind: 'archive', count: 1 },
        { kind: 'inbox', count: 2 },
        { kind: 'jobs', count: 1 },
      ],
    );
    assert.ok(real.removed.find((tally) => tally.kind === 'archive')!.bytes > 0, 'bucket bytes are counted');

    assert.deepEqual(await f.remains(jobs.inboxDue), { row: true, inbox: false, archive: false, inboxPurged: true, archivePurged: false });
    assert.equal((await objectsUnder(s3, jobPrefix(jobs.inboxDue))).size > 0, true, 'its copy stays in the bucket');
    assert.deepEqual(await f.remains(jobs.copyLost), { row: true, inbox: true, archive: false, inboxPurged: false, archivePurged: false });
    assert.deepEqual(await f.remains(jobs.archiveDue), { row: true, inbox: false, archive: false, inboxPurged: true, archivePurged: true });
    assert.equal((await objectsUnder(s3, jobPrefix(jobs.archiveDue))).size, 0, 'the purged copy is gone from the bucket');
    assert.equal((await f.remains(jobs.jobDue)).row, false);
    assert.equal((await objectsUnder(s3, jobPrefix(jobs.jobDue))).size, 0, 'a deleted job takes its objects along');
  });

  it('offboarding counts and removes the customer’s objects in the bucket, strays under its prefix included', async () => {
    const alice = [await f.finishedJob({ customer: 'alice', daysAgo: 1 }), await f.finishedJob({ customer: 'alice', daysAgo: 2 })];
    const bob = await f.finishedJob({ daysAgo: 1 });
    await t.service.archiveUploads!.runOnce();
    // An object no row names (an upload whose job was deleted before it was recorded).
    await s3.s3.send(new PutObjectCommand({ Bucket: ARCHIVE_BUCKET, Key: `${ARCHIVE_PREFIX}alice/stray/file`, Body: 'stray' }));
    const aliceObjects = await objectsUnder(s3, `${ARCHIVE_PREFIX}alice/`);
    assert.ok(aliceObjects.size >= 3);
    const bytes = [...aliceObjects.values()].reduce((sum, body) => sum + body.byteLength, 0);

    await updateCustomer(f.db, 'alice', { disabled: true });
    const deps = { db: f.db, dataRoot: t.config.dataRoot, archiveRoot: archiveRootOf(t.config), archiveS3: t.config.archive.s3 };
    const plan = await planOffboarding(deps, 'alice');
    assert.deepEqual(plan?.files.archive, { files: aliceObjects.size, bytes }, 'no local copies are left: the archive is the bucket’s objects');
    const result = await purgeCustomer(deps, { slug: 'alice', token: plan!.token });
    assert.deepEqual(result?.files.archive, plan?.files.archive);
    assert.equal((await objectsUnder(s3, `${ARCHIVE_PREFIX}alice/`)).size, 0, 'every object under alice/ is gone');
    assert.ok((await objectsUnder(s3, jobPrefix(bob))).size > 0, 'another customer’s objects stay');
    assert.equal(alice.length, 2);
  });
});
