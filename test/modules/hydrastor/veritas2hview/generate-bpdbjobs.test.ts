import assert from 'node:assert/strict';
import { generateBpdbjobsChunks, generateBpdbjobsRecords, isGeneratedJobRunning } from '../../../../src/modules/hydrastor/veritas2hview/generate-bpdbjobs.js';

describe('generateBpdbjobs', () => {
  it('is deterministic for a seed and differs between seeds', () => {
    const first = [...generateBpdbjobsRecords({ seed: 3, jobs: 50 })].join('');
    const again = [...generateBpdbjobsRecords({ seed: 3, jobs: 50 })].join('');
    const other = [...generateBpdbjobsRecords({ seed: 4, jobs: 50 })].join('');
    assert.equal(first, again);
    assert.notEqual(first, other);
  });

  it('delivers the same bytes as chunks, each about chunkBytes long', () => {
    const records = [...generateBpdbjobsRecords({ seed: 9, jobs: 500, lineEnding: '\r\n' })].join('');
    const chunks = [...generateBpdbjobsChunks({ seed: 9, jobs: 500, lineEnding: '\r\n', chunkBytes: 4096 })];
    assert.equal(Buffer.concat(chunks).toString('utf8'), records);
    assert.ok(chunks.length > 10);
    assert.ok(chunks.slice(0, -1).every((chunk) => chunk.length >= 4096 && chunk.length < 4096 + 1024));
  });

  it('marks every 25th job running by default', () => {
    assert.equal(isGeneratedJobRunning(23), false);
    assert.equal(isGeneratedJobRunning(24), true);
    assert.equal(isGeneratedJobRunning(24, 0), false);
    const lines = [...generateBpdbjobsRecords({ seed: 1, jobs: 25 })];
    assert.match(lines[24]!, /^1024,0,1,,/);
    assert.match(lines[0]!, /^1000,0,3,\d+,/);
  });
});
