import assert from 'node:assert/strict';
import { gibToBytes, parseByteSize } from '../../../../src/modules/shared/values/parse-byte-size.js';

const GIB = 1n << 30n;

describe('parseByteSize / gibToBytes', () => {
  it('converts GiB to exact bytes', () => {
    assert.equal(gibToBytes('1036800.00'), 1036800n * GIB);
    assert.equal(gibToBytes('1113255523123200 B'), 1113255523123200n);
  });

  it('keeps fractions exact and rounds half up to a whole byte', () => {
    // 683664.77 GiB = 68366477 × 2^30 / 100 bytes
    assert.equal(gibToBytes('683664.77'), (68366477n * GIB + 50n) / 100n);
    assert.equal(parseByteSize('0.5'), 1n);
    assert.equal(parseByteSize('1.4'), 1n);
  });

  it('reads "GB" as GiB, as HYDRAstor and NetBackup print it', () => {
    assert.equal(parseByteSize('12 GB'), 12n * GIB);
    assert.equal(parseByteSize('12GiB'), 12n * GIB);
    assert.equal(parseByteSize('2 TB'), 2n << 40n);
  });

  it('lets a unit in the text win over the default', () => {
    assert.equal(parseByteSize('1 TiB', 'GiB'), 1n << 40n);
  });

  it('accepts thousands separators', () => {
    assert.equal(gibToBytes('1,036,800.00'), 1036800n * GIB);
  });

  it('is exact for sizes beyond 2^53', () => {
    assert.equal(parseByteSize('11011191809968395'), 11011191809968395n);
  });

  for (const bad of ['', '-1', 'abc', '12 parsecs', '1.2.3', '1,23']) {
    it(`rejects ${JSON.stringify(bad)}`, () => {
      assert.equal(parseByteSize(bad), null);
    });
  }
});
