import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { IngestError } from '../../src/core/ingest-error.js';
import { decodeObjectKey } from '../../src/s3events/decode-object-key.js';

describe('decodeObjectKey', () => {
  // Reliability catalog #27: the keys S3 sends for the objects on the right.
  const table: ReadonlyArray<readonly [string, string]> = [
    ['red+flower.csv', 'red flower.csv'],
    ['a%2Bb.csv', 'a+b.csv'],
    ['100%25.csv', '100%.csv'],
    ['%E6%97%A5%E6%9C%AC.tar.gz', '日本.tar.gz'],
    ['dir/with+space/x.zip', 'dir/with space/x.zip'],
    [
      'bobs_burgers%2Ficecream_machine%2FVeritas2Hview+nbumaster01+2023-01-13.tar.gz',
      'bobs_burgers/icecream_machine/Veritas2Hview nbumaster01 2023-01-13.tar.gz',
    ],
    ['plain/key.tar.gz', 'plain/key.tar.gz'],
    ['%2b%2f', '+/'],
    ['%252B', '%2B'],
    ['caf%C3%A9', 'café'],
    ['%F0%9F%93%A6.zip', '📦.zip'],
    ['++', '  '],
  ];
  for (const [encoded, decoded] of table) {
    it(`${encoded} → ${decoded}`, () => {
      assert.equal(decodeObjectKey(encoded), decoded);
    });
  }

  it('decodes + to a space before percent-decoding, so %2B stays a plus', () => {
    assert.equal(decodeObjectKey('a+%2B+b'), 'a + b');
  });

  const badKeys: ReadonlyArray<readonly [string, RegExp]> = [
    ['100%.csv', /invalid percent sequence "%\.c" at offset 3/],
    ['bad%zz.csv', /invalid percent sequence "%zz" at offset 3/],
    ['trailing%', /invalid percent sequence "%" at offset 8/],
    ['trailing%4', /invalid percent sequence "%4" at offset 8/],
    ['%G1', /invalid percent sequence "%G1" at offset 0/],
    ['ok%20then%x', /"%x" at offset 9/],
    ['%C3%28.csv', /not valid UTF-8/],
    ['%E6%97.tar.gz', /not valid UTF-8/],
    ['%FF', /not valid UTF-8/],
    ['%C0%AF', /not valid UTF-8/],
    ['%ED%A0%80', /not valid UTF-8/],
  ];
  for (const [encoded, pattern] of badKeys) {
    it(`rejects ${encoded}`, () => {
      assert.throws(
        () => decodeObjectKey(encoded),
        (error: unknown) =>
          error instanceof IngestError &&
          error.code === 'NOTIFICATION_MALFORMED' &&
          !error.transient &&
          error.expose &&
          pattern.test(error.message) &&
          error.message.includes(JSON.stringify(encoded)),
      );
    });
  }

  it('quotes at most the first 200 characters of a long bad key', () => {
    const longKey = `${'a'.repeat(1000)}%zz`;
    assert.throws(
      () => decodeObjectKey(longKey),
      (error: unknown) => error instanceof IngestError && error.message.length < 400 && /offset 1000/.test(error.message),
    );
  });
});
