import assert from 'node:assert/strict';
import { FINISHED_UPLOAD_RETENTION_MS, UploadProgressRegistry, type BeginUploadArgs } from '../../../src/http/uploads/upload-progress.js';

const upload = (uploadId: string, customer = 'bobs_burgers'): BeginUploadArgs => ({
  uploadId,
  customer,
  category: 'hydrastor',
  type: 'veritas2hview',
  group: 'icecream_machine',
  fileName: 'dump.tar.gz',
  expectedBytes: 1000,
});

describe('UploadProgressRegistry', () => {
  it('follows an upload from its first bytes to its job', () => {
    let now = Date.UTC(2023, 0, 13, 3, 0, 0);
    const registry = new UploadProgressRegistry({ now: () => now });
    const tracker = registry.begin(upload('upload-0001'));
    now += 1000;
    tracker.received(400);
    assert.deepEqual(
      (({ state, bytesReceived, updatedAt, jobId }) => ({ state, bytesReceived, updatedAt: updatedAt.toISOString(), jobId }))(
        registry.find('upload-0001', 'bobs_burgers')!,
      ),
      { state: 'receiving', bytesReceived: 400, updatedAt: '2023-01-13T03:00:01.000Z', jobId: null },
    );
    tracker.received(1000);
    tracker.storing();
    assert.equal(registry.find('upload-0001', 'bobs_burgers')?.state, 'storing');
    tracker.stored({ jobId: 'job-1', duplicate: false });
    tracker.failed({ code: 'LATE', message: 'a failure after the job exists changes nothing' });
    assert.deepEqual((({ state, jobId, error }) => ({ state, jobId, error }))(registry.find('upload-0001', 'bobs_burgers')!), {
      state: 'stored',
      jobId: 'job-1',
      error: null,
    });
  });

  it('hands out copies, so a reader cannot change what it is shown', () => {
    const registry = new UploadProgressRegistry();
    registry.begin(upload('upload-0002'));
    (registry.find('upload-0002', 'bobs_burgers') as { bytesReceived: number }).bytesReceived = 99;
    assert.equal(registry.find('upload-0002', 'bobs_burgers')?.bytesReceived, 0);
  });

  it('refuses an Upload-Id still in progress with 409, and reuses one that has finished', () => {
    const registry = new UploadProgressRegistry();
    const first = registry.begin(upload('upload-0003'));
    assert.throws(() => registry.begin(upload('upload-0003')), { code: 'CONFLICT' });
    first.failed({ code: 'BAD_REQUEST', message: 'gone' });
    registry.begin(upload('upload-0003'));
    assert.equal(registry.find('upload-0003', 'bobs_burgers')?.state, 'receiving');
  });

  it('forgets finished uploads after the retention, never unfinished ones, and lists newest first', () => {
    let now = 0;
    const registry = new UploadProgressRegistry({ now: () => now });
    const finished = registry.begin(upload('upload-old1'));
    registry.begin(upload('upload-slow'));
    finished.stored({ jobId: 'job-2', duplicate: true });
    now += 1;
    registry.begin(upload('upload-new1', 'krusty_krab'));
    assert.deepEqual(
      registry.list().map((entry) => entry.uploadId),
      ['upload-new1', 'upload-slow', 'upload-old1'],
    );
    now += FINISHED_UPLOAD_RETENTION_MS + 1;
    assert.equal(registry.find('upload-old1', 'bobs_burgers'), undefined);
    assert.deepEqual(
      registry.list().map((entry) => entry.uploadId),
      ['upload-new1', 'upload-slow'],
    );
  });
});
