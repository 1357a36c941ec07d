import assert from 'node:assert/strict';
import { exportObservation, MAX_CLOCK_AHEAD_MS } from '../../../../src/modules/hydrastor/veritas2hview/export-observation.js';
import { newestJobTime } from '../../../../src/modules/hydrastor/veritas2hview/newest-job-time.js';
import { TailBytes } from '../../../../src/modules/hydrastor/veritas2hview/tail-bytes.js';

const LOADED_AT = new Date('2026-12-03T09:00:00Z');

/** A bpdbjobs line (56 fields, the stable ones): job id, state, started, elapsed, ended; the rest fixed or empty. */
function job(id: number, state: number, started: number, elapsed: number, ended: number): string {
  const fields: string[] = Array.from({ length: 56 }, () => '');
  fields.splice(
    0,
    12,
    String(id),
    '0',
    String(state),
    state === 3 ? '0' : '',
    'policy',
    'sched',
    'client',
    'media',
    String(started),
    String(elapsed).padStart(10, '0'),
    String(ended),
    'stu',
  );
  return `${fields.join(',')}\n`;
}

describe('the observation time of an export', () => {
  it('is the manifest generatedAt, else the newest job time, else unknown', () => {
    const generatedAt = new Date('2023-01-14T03:00:00Z');
    const newest = new Date('2023-01-13T05:00:00Z');
    assert.deepEqual(exportObservation({ generatedAt, newestJobTime: newest, loadedAt: LOADED_AT }), { at: generatedAt, source: 'manifest', issue: null });
    assert.deepEqual(exportObservation({ generatedAt: null, newestJobTime: newest, loadedAt: LOADED_AT }), { at: newest, source: 'job_times', issue: null });
    assert.deepEqual(exportObservation({ generatedAt: null, newestJobTime: null, loadedAt: LOADED_AT }), { at: null, source: null, issue: null });
  });

  it('takes the load time, with a warning, for a time beyond the allowed clock difference', () => {
    const slightlyAhead = new Date(LOADED_AT.getTime() + MAX_CLOCK_AHEAD_MS);
    assert.deepEqual(exportObservation({ generatedAt: slightlyAhead, newestJobTime: null, loadedAt: LOADED_AT }).at, slightlyAhead);
    const future = exportObservation({ generatedAt: null, newestJobTime: new Date('2099-01-01T00:00:00Z'), loadedAt: LOADED_AT });
    assert.deepEqual([future.at, future.source, future.issue?.severity, future.issue?.file], [LOADED_AT, 'load_time', 'warning', 'bpdbjobs_most_columns.csv']);
    assert.match(future.issue?.message ?? '', /the newest job time \(2099-01-01T00:00:00\.000Z\) is later than the load time/);
  });
});

describe('newestJobTime (no manifest: both ends of bpdbjobs)', () => {
  it('takes the latest end, start or start + elapsed of the jobs at either end', async () => {
    const head = job(200, 1, 1_000_000, 500, 0) + job(199, 3, 999_000, 100, 999_100);
    const tail = 'piece of a cut record,1,2,3\n' + job(2, 3, 1_000_000, 900, 1_000_900) + job(1, 3, 5, 5, 10);
    assert.deepEqual(await newestJobTime({ head, tail, columns: undefined }), new Date(1_000_900_000));
    assert.deepEqual(await newestJobTime({ head, tail: '', columns: undefined }), new Date(1_000_500_000), 'a running job: start + elapsed');
  });

  it('leaves out the cut line at the end of the head and at the start of the tail', async () => {
    // Each cut piece would parse as a job of its own, with a time that is not in the file.
    const head = job(10, 3, 1_000, 10, 1_010) + job(11, 3, 9_000_000, 10, 9_000_010).trimEnd();
    const tail = job(12, 3, 9_000_000, 10, 9_000_010).slice(1) + job(13, 3, 2_000, 10, 2_010);
    assert.deepEqual(await newestJobTime({ head, tail, columns: undefined }), new Date(2_010_000));
  });

  it('is null when no job names a time', async () => {
    assert.equal(await newestJobTime({ head: '', tail: '', columns: undefined }), null);
    assert.equal(await newestJobTime({ head: 'not,a,job\n', tail: '', columns: undefined }), null);
  });
});

describe('TailBytes', () => {
  it('keeps the last bytes across chunks of any size', () => {
    const tail = new TailBytes(5);
    assert.equal(tail.bytes().toString(), '');
    tail.push(Buffer.from('ab'));
    assert.equal(tail.bytes().toString(), 'ab');
    tail.push(Buffer.from('cde'));
    assert.equal(tail.bytes().toString(), 'abcde');
    tail.push(Buffer.from('fg'));
    assert.equal(tail.bytes().toString(), 'cdefg');
    tail.push(Buffer.from('0123456789'));
    assert.equal(tail.bytes().toString(), '56789');
    for (const letter of 'vwxyz!') tail.push(Buffer.from(letter));
    assert.equal(tail.bytes().toString(), 'wxyz!');
  });
});
