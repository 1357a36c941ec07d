import assert from 'node:assert/strict';
import { MAX_ORIGINAL_NAME_BYTES, cleanOriginalName, truncateUtf8 } from '../../../src/pipeline/mail/clean-original-name.js';

describe('cleanOriginalName', () => {
  it('keeps an ordinary name, path-like names included (they are data, never paths)', () => {
    assert.equal(cleanOriginalName('HSSysReport_8A5-000123_20230113T120000+0900.tar.gz'), 'HSSysReport_8A5-000123_20230113T120000+0900.tar.gz');
    assert.equal(cleanOriginalName('../../etc/passwd'), '../../etc/passwd');
    assert.equal(cleanOriginalName('C:\\Windows\\x'), 'C:\\Windows\\x');
  });

  it('removes NUL, CR, LF, other controls and bidirectional overrides', () => {
    assert.equal(cleanOriginalName('a\u0000b\r\nc.txt'), 'abc.txt');
    assert.equal(cleanOriginalName('invoice\u202Efdp.exe'), 'invoicefdp.exe');
    assert.equal(cleanOriginalName('x\u0085\u009by\u2066z'), 'xyz');
  });

  it('gives undefined for nothing or nothing left', () => {
    assert.equal(cleanOriginalName(undefined), undefined);
    assert.equal(cleanOriginalName(''), undefined);
    assert.equal(cleanOriginalName(' \u0000\r\n '), undefined);
  });

  it(`cuts to ${MAX_ORIGINAL_NAME_BYTES} bytes of UTF-8 without splitting a character`, () => {
    assert.equal(cleanOriginalName('n'.repeat(5000))?.length, 255);
    const japanese = cleanOriginalName('日'.repeat(200)) ?? '';
    assert.equal(Buffer.byteLength(japanese), 255);
    assert.equal(japanese, '日'.repeat(85));
    const emoji = truncateUtf8('a📦📦', 6);
    assert.equal(emoji, 'a📦');
  });
});
