import assert from 'node:assert/strict';
import {
  COPY_NULL,
  copyBigint,
  copyEpochSeconds,
  copyInteger,
  copyJson,
  copyNumeric,
  copyText,
  copyTextArray,
  kilobytesToBytes,
} from '../../../../src/modules/hydrastor/veritas2hview/copy-text.js';

describe('COPY text values', () => {
  it('escapes backslash, tab and line breaks, drops NUL, and keeps everything else as is', () => {
    assert.equal(copyText('C:\\Data\\Q1, final.xlsx'), 'C:\\\\Data\\\\Q1, final.xlsx');
    assert.equal(copyText('a\tb\nc\r\nd'), 'a\\tb\\nc\\r\\nd');
    assert.equal(copyText('nul\u0000byte'), 'nulbyte');
    assert.equal(copyText('plain ✓ text'), 'plain ✓ text');
    assert.equal(copyText('\\.'), '\\\\.', 'a value can never read as the end-of-data marker');
    assert.equal(copyText(null), COPY_NULL);
  });

  it('writes null for numbers a column cannot hold instead of failing the COPY', () => {
    assert.equal(copyInteger(42), '42');
    assert.equal(copyInteger(2 ** 31), COPY_NULL);
    assert.equal(copyInteger(1.5), COPY_NULL);
    assert.equal(copyBigint(2 ** 53 - 1), '9007199254740991');
    assert.equal(copyBigint(2 ** 60), COPY_NULL);
    assert.equal(copyBigint(123n), '123');
    assert.equal(copyNumeric(12.5), '12.5');
    assert.equal(copyNumeric(Number.NaN), COPY_NULL);
  });

  it('converts KiB to exact bytes, with the fragment remainder', () => {
    assert.equal(kilobytesToBytes(3), 3072n);
    assert.equal(kilobytesToBytes(2 ** 52, 7), 2n ** 62n + 7n);
    assert.equal(kilobytesToBytes(-1), null);
    assert.equal(kilobytesToBytes(null), null);
  });

  it("writes times as epoch seconds, and null for dates out of PostgreSQL's range", () => {
    assert.equal(copyEpochSeconds(new Date(1_673_492_400_000)), '1673492400');
    assert.equal(copyEpochSeconds(new Date(1_673_492_400_500)), '1673492400.5');
    assert.equal(copyEpochSeconds(new Date(8.64e15 - 1000)), COPY_NULL);
    assert.equal(copyEpochSeconds(new Date(8.64e15)), 'Infinity', 'the largest Date stands for NetBackup\'s "never expires"');
    assert.equal(copyEpochSeconds(new Date(Number.NaN)), COPY_NULL);
  });

  it('quotes array elements and strips NUL from JSON keys and values', () => {
    assert.equal(copyTextArray(['AdminUp', 'say "hi"', 'back\\slash']), '{"AdminUp","say \\\\"hi\\\\"","back\\\\\\\\slash"}');
    assert.equal(copyJson({ 'key\u0000': 'va\u0000lue', list: ['a\tb'] }), '{"key":"value","list":["a\\\\tb"]}');
    assert.equal(copyJson(null), COPY_NULL);
  });
});
