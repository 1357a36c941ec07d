import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { IngestError } from '../../src/core/ingest-error.js';
import { compareSequencers, isSequencer } from '../../src/s3events/compare-sequencers.js';

describe('compareSequencers', () => {
  const table: ReadonlyArray<readonly [string, string, -1 | 0 | 1]> = [
    ['0055AED6DCD90281E5', '0055AED6DCD90281E4', 1],
    ['0055AED6DCD90281E4', '0055AED6DCD90281E5', -1],
    ['0055AED6DCD90281E5', '0055AED6DCD90281E5', 0],
    // Different lengths: the shorter is right-padded with zeros (AWS docs).
    ['0055AED6DCD90281E5', '0055AED6DCD90281E50A', -1],
    ['0055AED6DCD90281E50A', '0055AED6DCD90281E5', 1],
    ['0055AED6DCD90281E5', '0055AED6DCD90281E500', 0],
    ['0055AED6DCD90281E6', '0055AED6DCD90281E5FF', 1],
    // Numeric comparison would get this wrong: padding makes the short one larger.
    ['F', '0FFF', 1],
    ['A', '9', 1],
    ['9', 'a', -1],
    // Case-insensitive.
    ['0055aed6dcd90281e5', '0055AED6DCD90281E5', 0],
    ['0055aed6dcd90281e5', '0055AED6DCD90281E4', 1],
    ['0063C0C1E1A2B3C4D5', '0063C0C1E1A2B3C4FF', -1],
  ];
  for (const [a, b, expected] of table) {
    it(`${a} vs ${b} → ${expected}`, () => {
      assert.equal(compareSequencers(a, b), expected);
    });
  }

  it('is antisymmetric over the table', () => {
    for (const [a, b, expected] of table) {
      assert.equal(compareSequencers(b, a), -expected === 0 ? 0 : -expected);
    }
  });

  it('sorts a mixed-length list into event order', () => {
    const sorted = ['0055AED6DCD90281E50A', '0055AED6DCD90281E4', '0055AED6DCD90281E5', '0055AED6DCD90281E5FF'].sort(compareSequencers);
    assert.deepEqual(sorted, ['0055AED6DCD90281E4', '0055AED6DCD90281E5', '0055AED6DCD90281E50A', '0055AED6DCD90281E5FF']);
  });

  for (const bad of ['', 'xyz', '0055-AED6', ' 0055', '0x55']) {
    it(`rejects ${JSON.stringify(bad)} with SEQUENCER_INVALID`, () => {
      assert.throws(
        () => compareSequencers(bad, '00'),
        (error: unknown) => error instanceof IngestError && error.code === 'SEQUENCER_INVALID' && !error.transient,
      );
      assert.equal(isSequencer(bad), false);
    });
  }
});
