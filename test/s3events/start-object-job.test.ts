import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { findS3Object } from '../../src/db/s3-objects-repository.js';
import type { IngestError } from '../../src/core/ingest-error.js';
import { objectIdempotencyKey, startObjectJob, type ObjectJobRequest } from '../../src/s3events/start-object-job.js';
import { startTestService, type TestService } from '../support/start-test-service.js';
import { BUCKET, FIXTURE_ARCHIVE, objectJobDepsFor, startS3Emulator, veritasStubModule, type S3Emulator } from '../support/s3-test-env.js';

describe('startObjectJob (fauxqs S3, real PostgreSQL)', () => {
  let env: S3Emulator;
  let t: TestService;
  let archive: Buffer;

  before(async () => {
    env = await startS3Emulator();
    archive = await readFile(FIXTURE_ARCHIVE);
    t = await startTestService({ modules: [veritasStubModule], customers: ['bobs_burgers'], overrides: { worker: { enabled: false } } });
  });
  after(async () => {
    await t?.stop();
    await env?.stop();
  });

  const request = (key: string, extra: Partial<ObjectJobRequest> = {}): ObjectJobRequest => ({
    source: 's3',
    bucket: BUCKET,
    key,
    mode: 'background',
    ...extra,
  });
  const rejection = async (promise: Promise<unknown>): Promise<IngestError> => {
    try {
      await promise;
    } catch (error) {
      return error as IngestError;
    }
    throw new Error('expected a rejection');
  };

  it('learns the ETag with HEAD when the event names no version, and keys the job on it', async () => {
    const key = 'bobs_burgers/grid_a/no-etag.zip';
    const { eTag } = await env.upload(key, archive);
    const outcome = await startObjectJob(objectJobDepsFor(t, env.s3), request(key));
    assert.equal(outcome.kind, 'created');
    if (outcome.kind !== 'created') return;
    assert.equal(outcome.job.idempotency_key, objectIdempotencyKey({ bucket: BUCKET, key, eTag }));
    assert.equal(outcome.job.group_name, 'grid_a');
    assert.deepEqual(await readdir(path.join(t.dataRoot, 'inbox', outcome.job.relative_path)), ['manifest.json', 'object.zip']);
  });

  it('records an oversized object as a failed job without downloading it (background), or refuses it (interactive)', async () => {
    const key = 'bobs_burgers/grid_a/huge.tar.gz';
    const { eTag, size } = await env.upload(key, archive);
    const deps = objectJobDepsFor(t, env.s3, { maxObjectBytes: 1000 });
    const announced = await startObjectJob(deps, request(key, { eTag, size }));
    assert.equal(announced.kind, 'failed');
    if (announced.kind !== 'failed') return;
    assert.equal(announced.job.status, 'failed');
    assert.equal(announced.job.error_code, 'ARRIVAL_TOO_LARGE');
    assert.match(announced.job.error_message ?? '', /19672 bytes, more than the limit of 1000 bytes/);
    assert.deepEqual(await readdir(path.join(t.dataRoot, 'inbox', announced.job.relative_path)), ['manifest.json', 'object-too-large.json']);
    assert.equal((await findS3Object(t.service.database.db, { bucket: BUCKET, key }))?.lastJobId, announced.job.id, 'the reconciler will not try it again');

    const again = await startObjectJob(deps, request(key, { eTag, size }));
    assert.equal(again.kind === 'failed' || again.kind === 'duplicate' ? again.job.id : undefined, announced.job.id, 'a redelivery finds the same failed job');

    const unknownSize = await startObjectJob(
      deps,
      request('bobs_burgers/grid_b/huge.tar.gz', { eTag: (await env.upload('bobs_burgers/grid_b/huge.tar.gz', archive)).eTag }),
    );
    assert.equal(unknownSize.kind === 'failed' ? unknownSize.job.error_code : unknownSize.kind, 'ARRIVAL_TOO_LARGE', 'the limit also holds while streaming');

    const refused = await rejection(startObjectJob(deps, request(key, { mode: 'interactive', lookUpVersion: true, source: 'api' })));
    assert.equal(refused.code, 'ARRIVAL_TOO_LARGE');
  });

  it('skips a version overwritten since its event (background) and reports OBJECT_CHANGED (interactive)', async () => {
    const key = 'bobs_burgers/grid_a/overwritten.zip';
    const first = await env.upload(key, 'first');
    await env.upload(key, archive);
    const outcome = await startObjectJob(objectJobDepsFor(t, env.s3), request(key, { eTag: first.eTag }));
    assert.equal(outcome.kind, 'superseded');
    const changed = await rejection(startObjectJob(objectJobDepsFor(t, env.s3), request(key, { eTag: first.eTag, mode: 'interactive' })));
    assert.equal(changed.code, 'OBJECT_CHANGED');
    assert.equal(changed.transient, true);
  });

  it('refuses keys that do not route and customers that do not exist, making no job', async () => {
    const deps = objectJobDepsFor(t, env.s3);
    assert.equal((await rejection(startObjectJob(deps, request('bobs_burgers/just-a-file.tar.gz')))).code, 'OBJECT_UNROUTABLE');
    assert.equal((await rejection(startObjectJob(deps, { ...request('a/b/c.tar.gz'), bucket: 'other-bucket' }))).code, 'OBJECT_UNROUTABLE');
    const key = 'krusty_krab/grid_a/export.tar.gz';
    const { eTag } = await env.upload(key, archive);
    const unknown = await rejection(startObjectJob(deps, request(key, { eTag })));
    assert.equal(unknown.code, 'CUSTOMER_UNKNOWN');
    assert.equal(unknown.transient, false);
  });

  it('treats equal sequencers as a redelivery and longer-but-older ones as stale', async () => {
    const key = 'bobs_burgers/grid_c/sequenced.tar.gz';
    const { eTag } = await env.upload(key, archive);
    const deps = objectJobDepsFor(t, env.s3);
    const first = await startObjectJob(deps, request(key, { eTag, sequencer: '0055AED6DCD90281E5' }));
    assert.equal(first.kind, 'created');
    assert.equal(
      (await startObjectJob(deps, request(key, { eTag, sequencer: '0055aed6dcd90281e500' }))).kind,
      'duplicate',
      'E5 and e500 are the same position',
    );
    const stale = await startObjectJob(deps, request(key, { eTag, sequencer: '0055AED6DCD90281E4FF' }));
    assert.deepEqual(stale, { kind: 'stale', newestSequencer: '0055AED6DCD90281E5' });
    assert.equal((await findS3Object(t.service.database.db, { bucket: BUCKET, key }))?.staleEvents, 1);
  });
});
