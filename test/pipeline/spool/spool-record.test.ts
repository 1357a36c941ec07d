import assert from 'node:assert/strict';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { closeSync, openSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  SPOOL_RECORD_MAGIC,
  decodeSpoolRecord,
  encodeSpoolRecord,
  readSpoolRecordAt,
  readSpoolSegment,
  type SpoolRecord,
} from '../../../src/pipeline/spool/spool-record.js';
import type { StagedManifest } from '../../../src/pipeline/staging/staged-manifest.js';
import { syncfsReportsErrors } from '../../../src/pipeline/spool/sync-file-system.js';

/** A record as the spool would get it: a manifest whose files describe `contents`, in order. */
function recordOf(tag: string, contents: readonly Buffer[]): SpoolRecord {
  const manifest: StagedManifest = {
    manifestVersion: 1,
    stagingId: randomUUID(),
    idempotencyKey: `test:${tag}`,
    source: 'smtp',
    sourceRef: { messageId: `<${tag}@example>` },
    hints: { subject: `record ${tag}` },
    customer: 'bobs_burgers',
    category: 'unclassified',
    type: 'smtp',
    group: 'none',
    classified: false,
    receivedAt: '2024-02-29T23:59:59.000Z',
    node: 'node-a',
    files: contents.map((content, index) => ({
      name: `file-${index}.bin`,
      size: content.byteLength,
      sha256: createHash('sha256').update(content).digest('hex'),
    })),
  };
  return { manifest, contents };
}

/** Every byte value, so no encoding step can pass by treating the contents as text. */
const ALL_BYTES = Buffer.from(Array.from({ length: 256 }, (_unused, value) => value));

describe('spool records', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'dp-spool-record-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('decodes what it encodes: empty, one-byte, 5 KiB and binary files, in order', () => {
    const original = recordOf('round-trip', [Buffer.alloc(0), Buffer.from('x'), randomBytes(5 * 1024), ALL_BYTES]);
    const encoded = encodeSpoolRecord(original);
    assert.deepEqual(encoded.subarray(0, 4), SPOOL_RECORD_MAGIC);
    const decoded = decodeSpoolRecord(encoded);
    assert.ok(decoded !== undefined);
    assert.deepEqual(decoded.manifest, original.manifest);
    assert.equal(decoded.contents.length, 4);
    for (const [index, content] of original.contents.entries()) assert.ok(content.equals(decoded.contents[index] as Buffer), `file ${index}`);
  });

  it('refuses a record with any one byte flipped, in the manifest or in the contents', () => {
    const encoded = encodeSpoolRecord(recordOf('flip', [Buffer.from('hello'), ALL_BYTES]));
    // Header length fields are checked by length; CRC field, manifest and contents by the CRC.
    for (const position of [12, 20, encoded.byteLength - 300, encoded.byteLength - 1]) {
      const damaged = Buffer.from(encoded);
      damaged[position] = (damaged[position] as number) ^ 0x01;
      assert.equal(decodeSpoolRecord(damaged), undefined, `byte ${position} flipped`);
    }
    assert.equal(decodeSpoolRecord(encoded.subarray(0, encoded.byteLength - 1)), undefined, 'one byte short');
  });

  it('reads back every whole record of a segment and stops at a torn tail', async () => {
    const records = [recordOf('one', [Buffer.from('first')]), recordOf('two', [randomBytes(5 * 1024), Buffer.alloc(0)]), recordOf('three', [ALL_BYTES])];
    const encoded = records.map(encodeSpoolRecord);
    const torn = encodeSpoolRecord(recordOf('four', [randomBytes(2048)]));
    const file = path.join(dir, 'torn.spool');
    await writeFile(file, Buffer.concat([...encoded, torn.subarray(0, Math.floor(torn.byteLength / 2))]));

    const read = [];
    for await (const record of readSpoolSegment(file)) read.push(record);
    assert.equal(read.length, 3);
    const descriptor = openSync(file, 'r');
    try {
      let offset = 0;
      for (const [index, record] of read.entries()) {
        assert.equal(record.offset, offset, `offset of record ${index}`);
        assert.equal(record.length, (encoded[index] as Buffer).byteLength, `length of record ${index}`);
        assert.deepEqual(record.manifest, (records[index] as SpoolRecord).manifest);
        assert.deepEqual(record.contents, (records[index] as SpoolRecord).contents);
        assert.equal(readSpoolRecordAt(descriptor, record.offset, record.length)?.manifest.stagingId, record.manifest.stagingId, 'readable at its offset');
        offset += record.length;
      }
      const tornOffset = offset;
      assert.equal(readSpoolRecordAt(descriptor, tornOffset, torn.byteLength), undefined, 'the torn record, read at its offset');
    } finally {
      closeSync(descriptor);
    }
  });

  it('finds nothing in a segment that starts with garbage', async () => {
    const valid = encodeSpoolRecord(recordOf('valid', [Buffer.from('after the garbage')]));
    const wrongMagic = Buffer.from(valid);
    wrongMagic.write('XPS1', 0, 'latin1');
    const absurdLength = Buffer.from(valid);
    absurdLength.writeUInt32LE(0xffff_fff0, 8);
    const cases = {
      'wrong magic': Buffer.concat([wrongMagic, valid]),
      'absurd length': Buffer.concat([absurdLength, valid]),
      'random bytes': Buffer.concat([randomBytes(64), valid]),
      'shorter than a header': Buffer.from('DPS1'),
      empty: Buffer.alloc(0),
    };
    for (const [name, bytes] of Object.entries(cases)) {
      const file = path.join(dir, `${name.replaceAll(' ', '-')}.spool`);
      await writeFile(file, bytes);
      const read = [];
      for await (const record of readSpoolSegment(file)) read.push(record);
      assert.deepEqual(read, [], name);
    }
    assert.equal(decodeSpoolRecord(wrongMagic), undefined);
    assert.equal(decodeSpoolRecord(absurdLength), undefined);
  });
});

describe('syncfsReportsErrors', () => {
  it('trusts syncfs only from Linux 5.8 on (earlier kernels hide writeback errors)', () => {
    assert.deepEqual(['6.18.44-fc-v782', '5.8.0', '5.10.0-28-amd64', '5.7.19', '4.19.0-27-amd64', 'garbage', ''].map(syncfsReportsErrors), [
      true,
      true,
      true,
      false,
      false,
      false,
      false,
    ]);
  });
});
