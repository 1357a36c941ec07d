import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { sql } from 'kysely';
import { reconcileOnce } from '../../src/s3events/reconcile.js';
import { objectIdempotencyKey, startObjectJob } from '../../src/s3events/start-object-job.js';
import { startTestService, type TestService } from '../support/start-test-service.js';
import {
  BUCKET,
  FIXTURE_ARCHIVE,
  FIXTURE_KEY,
  jobByKey,
  objectJobDepsFor,
  startS3Emulator,
  veritasStubModule,
  waitFor,
  type S3Emulator,
} from '../support/s3-test-env.js';

const WINDOW = { lookbackHours: 1, settleSeconds: 0 };

describe('reconciler: jobs for objects no notification announced', () => {
  let env: S3Emulator;
  let archive: Buffer;

  before(async () => {
    env = await startS3Emulator();
    archive = await readFile(FIXTURE_ARCHIVE);
  });
  after(async () => {
    await env?.stop();
  });

  describe('one pass (reconcileOnce)', () => {
    let t: TestService;
    before(async () => {
      env.server.emptyBucket(BUCKET);
      t = await startTestService({ modules: [veritasStubModule], overrides: { worker: { enabled: false }, s3: env.settings() } });
    });
    after(async () => {
      await t?.stop();
    });

    it('starts a job only for the object nobody announced, skips what does not route, and is idempotent', async () => {
      const deps = objectJobDepsFor(t, env.s3);
      const announcedKey = 'bobs_burgers/icecream_machine/announced.tar.gz';
      const announced = await env.upload(announcedKey, archive);
      assert.equal((await startObjectJob(deps, { source: 's3', bucket: BUCKET, key: announcedKey, eTag: announced.eTag, mode: 'background' })).kind, 'created');
      const dropped = await env.upload(FIXTURE_KEY, archive);
      await env.upload('bobs_burgers/not-three-segments.tar.gz', archive);
      await env.upload('bobs_burgers/icecream_machine/', '');

      const first = await reconcileOnce(deps, WINDOW);
      assert.deepEqual(first, { listed: 4, seen: 1, skipped: 2, started: 1, duplicates: 0, unfetchable: 0, errors: 0 });
      const job = await jobByKey(t, objectIdempotencyKey({ bucket: BUCKET, key: FIXTURE_KEY, eTag: dropped.eTag }));
      assert.equal(job?.source, 'reconcile');
      assert.equal(job?.status, 'queued');

      const second = await reconcileOnce(deps, WINDOW);
      assert.deepEqual([second.started, second.seen], [0, 2]);
      const count = await sql<{ n: string }>`SELECT count(*) AS n FROM jobs`.execute(t.service.database.db);
      assert.equal(count.rows[0]?.n, '2');
    });

    it('reads an object again once it was overwritten, and leaves objects outside the time window alone', async () => {
      const deps = objectJobDepsFor(t, env.s3);
      const rewritten = await env.upload(FIXTURE_KEY, Buffer.concat([archive, Buffer.from('\n')]));
      const pass = await reconcileOnce(deps, WINDOW);
      assert.equal(pass.started, 1);
      assert.notEqual(await jobByKey(t, objectIdempotencyKey({ bucket: BUCKET, key: FIXTURE_KEY, eTag: rewritten.eTag })), undefined);

      const later = await reconcileOnce(deps, { ...WINDOW, now: new Date(Date.now() + 2 * 3_600_000) });
      assert.deepEqual([later.started, later.seen, later.skipped], [0, 0, later.listed], 'older than the lookback: not even compared');
      const tooFresh = await reconcileOnce(deps, { lookbackHours: 1, settleSeconds: 600 });
      assert.deepEqual([tooFresh.started, tooFresh.skipped], [0, tooFresh.listed], 'younger than settleSeconds: left to the notification');
    });
  });

  it('runs from the service when s3.reconcile.intervalSeconds is set', async () => {
    const key = 'bobs_burgers/icecream_machine/while-we-were-down.tar.gz';
    const { eTag } = await env.upload(key, archive);
    const t = await startTestService({
      modules: [veritasStubModule],
      overrides: { worker: { enabled: false }, s3: env.settings({ reconcile: { intervalSeconds: 1, lookbackHours: 1, settleSeconds: 0 } }) },
    });
    try {
      const job = await waitFor('reconciled job', () => jobByKey(t, objectIdempotencyKey({ bucket: BUCKET, key, eTag })));
      assert.equal(job.source, 'reconcile');
    } finally {
      await t.stop();
    }
  });
});
