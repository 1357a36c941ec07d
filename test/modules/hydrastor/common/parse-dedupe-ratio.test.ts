import assert from 'node:assert/strict';
import { parseDedupeRatio } from '../../../../src/modules/hydrastor/common/parse-dedupe-ratio.js';

describe('parseDedupeRatio', () => {
  for (const [text, ratio] of [
    ['14.90', 14.9],
    ['14.9 : 1', 14.9],
    ['14.9:1', 14.9],
    ['15x', 15],
    [' 3 ', 3],
  ] as const) {
    it(`reads ${JSON.stringify(text)} as ${ratio}`, () => {
      assert.equal(parseDedupeRatio(text), ratio);
    });
  }
  for (const bad of ['', 'n/a', '1:2', '-3']) {
    it(`rejects ${JSON.stringify(bad)}`, () => {
      assert.equal(parseDedupeRatio(bad), null);
    });
  }
});
