import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { sql } from 'kysely';
import { IngestError } from '../../../src/core/ingest-error.js';
import { findS3Object } from '../../../src/db/s3-objects-repository.js';
import type { AcceptResult } from '../../../src/pipeline/accept.js';
import { objectArrivals, type ObjectArrival, type ObjectArrivals } from '../../../src/pipeline/arrivals/object-arrivals.js';
import { echoFile } from '../../support/echo-module.js';
import { startTestService, type TestService } from '../../support/start-test-service.js';

const BUCKET = 'uploads';

describe('objectArrivals: the pipeline door for objects (real PostgreSQL, no object store)', () => {
  let t: TestService;
  let objects: ObjectArrivals;
  before(async () => {
    t = await startTestService({ overrides: { worker: { enabled: false } } });
    objects = objectArrivals({ db: t.service.database.db }, (arrival) => t.service.accept(arrival));
  });
  after(async () => {
    await t?.stop();
  });

  /** An object arrival whose "download" writes an echo instruction and counts its calls. */
  function objectArrival(key: string, eTag: string, extra: Partial<ObjectArrival> = {}): ObjectArrival & { downloads: () => number } {
    let downloads = 0;
    return {
      source: 's3',
      customer: 'bobs_burgers',
      moduleKey: 'test/echo',
      group: 'grid_a',
      idempotencyKey: `s3:${BUCKET}/${key}?etag=${eTag}`,
      object: { bucket: BUCKET, key, versionRead: () => ({ eTag }) },
      writeFiles: async (folder) => {
        downloads += 1;
        await folder.writeFile({ name: 'instruction.json', source: echoFile({ rows: 0, tag: key }) });
      },
      downloads: () => downloads,
      ...extra,
    };
  }

  it('makes the job, remembers the version read, and answers a repeat with that job without reading the object again', async () => {
    const first = objectArrival('bobs_burgers/grid_a/a.tar.gz', 'e1');
    const created: AcceptResult = await objects.accept(first);
    assert.deepEqual([created.duplicate, created.job.status], [false, 'queued']);
    assert.equal(first.downloads(), 1);
    const remembered = await findS3Object(t.service.database.db, { bucket: BUCKET, key: 'bobs_burgers/grid_a/a.tar.gz' });
    assert.deepEqual([remembered?.eTag, remembered?.lastJobId], ['e1', created.job.id]);
    assert.deepEqual(
      await objects.readETags({ bucket: BUCKET, keys: ['bobs_burgers/grid_a/a.tar.gz', 'bobs_burgers/grid_a/never.tar.gz'] }),
      new Map([['bobs_burgers/grid_a/a.tar.gz', 'e1']]),
    );

    const repeat = objectArrival('bobs_burgers/grid_a/a.tar.gz', 'e1');
    const again = await objects.accept(repeat);
    assert.deepEqual([again.duplicate, again.job.id], [true, created.job.id]);
    assert.equal(repeat.downloads(), 0, 'a redelivery costs a query, not a download');
  });

  it('records a failed arrival as a failed job under the module it was meant for, once', async () => {
    const key = 'bobs_burgers/grid_a/gone.tar.gz';
    const failure = new IngestError('OBJECT_MISSING', `s3://${BUCKET}/${key} does not exist`, { expose: true });
    const arrival = (): ObjectArrival => ({
      ...objectArrival(key, 'e2'),
      idempotencyKey: `s3:${BUCKET}/${key}?etag=e2#unfetchable`,
      failure,
      writeFiles: async (folder) => {
        await folder.writeFile({ name: 'object-missing.json', source: '{}\n', role: 'note' });
      },
    });
    const { job, duplicate } = await objects.accept(arrival());
    assert.equal(duplicate, false);
    assert.deepEqual([job.status, job.error_code, job.error_message, job.category, job.type], ['failed', 'OBJECT_MISSING', failure.message, 'test', 'echo']);
    assert.deepEqual((job.source_ref as Record<string, unknown>).failure, { code: 'OBJECT_MISSING', message: failure.message });
    assert.deepEqual((await readdir(path.join(t.dataRoot, 'inbox', job.relative_path))).sort(), ['manifest.json', 'object-missing.json']);
    assert.equal((await findS3Object(t.service.database.db, { bucket: BUCKET, key }))?.lastJobId, job.id, 'the reconciler will not try it again');

    const again = await objects.accept(arrival());
    assert.deepEqual([again.duplicate, again.job.id, again.job.status], [true, job.id, 'failed']);

    // A crash between recording the job and failing it leaves it unclassified: the next delivery finishes it.
    await sql`UPDATE jobs SET status = 'unclassified', error_code = NULL, error_message = NULL WHERE id = ${job.id}`.execute(t.service.database.db);
    const finished = await objects.accept(arrival());
    assert.deepEqual([finished.duplicate, finished.job.status, finished.job.error_code], [true, 'failed', 'OBJECT_MISSING']);
  });

  it('claims the newest event per key: a redelivery is not stale, an older event is counted as stale', async () => {
    const event = { bucket: BUCKET, key: 'bobs_burgers/grid_a/sequenced.tar.gz' };
    assert.deepEqual(await objects.claimEvent({ ...event, sequencer: '0055AED6DCD90281E5' }), { stale: false });
    assert.deepEqual(await objects.claimEvent({ ...event, sequencer: '0055aed6dcd90281e500' }), { stale: false }, 'E5 and e500 are the same position');
    assert.deepEqual(await objects.claimEvent({ ...event, sequencer: '0055AED6DCD90281E4FF' }), { stale: true, newest: '0055AED6DCD90281E5' });
    assert.deepEqual(await objects.claimEvent({ ...event, sequencer: '0055AED6DCD90281E50A' }), { stale: false }, 'a newer event is claimed');
    const remembered = await findS3Object(t.service.database.db, event);
    assert.deepEqual([remembered?.sequencer, remembered?.staleEvents, remembered?.lastStaleSequencer], ['0055AED6DCD90281E50A', 1, '0055AED6DCD90281E4FF']);
  });
});
