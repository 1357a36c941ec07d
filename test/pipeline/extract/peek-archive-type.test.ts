import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { archiveTypeOfHead, peekArchiveType } from '../../../src/pipeline/extract/peek-archive-type.js';
import { IngestError } from '../../../src/core/ingest-error.js';

const TAR_GZ = new URL('../../fixtures/upload/veritas2hview_small.tar.gz', import.meta.url);
const ZIP = new URL('../../fixtures/upload/veritas2hview_small.zip', import.meta.url);
const NOT_AN_ARCHIVE = new URL('../../fixtures/hostile/not_an_archive.tar.gz', import.meta.url);

/** A source that records how far it was read and whether it was closed early. */
function trackedSource(chunks: readonly Uint8Array[]): { source: AsyncIterable<Uint8Array>; pulled: () => number; returned: () => boolean } {
  let pulled = 0;
  let returned = false;
  const source: AsyncIterable<Uint8Array> = {
    [Symbol.asyncIterator]: () => ({
      next: async () => (pulled < chunks.length ? { done: false, value: chunks[pulled++]! } : { done: true, value: undefined }),
      return: async () => {
        returned = true;
        return { done: true, value: undefined };
      },
    }),
  };
  return { source, pulled: () => pulled, returned: () => returned };
}

async function collect(bytes: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const chunk of bytes) parts.push(chunk);
  return Buffer.concat(parts);
}

describe('peekArchiveType', () => {
  it('knows .tar.gz and .zip by their first bytes (including an empty zip) and nothing else', async () => {
    assert.equal(archiveTypeOfHead(await readFile(TAR_GZ)), 'tar.gz');
    assert.equal(archiveTypeOfHead(await readFile(ZIP)), 'zip');
    assert.equal(archiveTypeOfHead(Buffer.from([0x50, 0x4b, 0x05, 0x06])), 'zip');
    assert.equal(archiveTypeOfHead(await readFile(NOT_AN_ARCHIVE)), undefined);
    assert.equal(archiveTypeOfHead(Buffer.from([0x1f])), undefined, 'too short to tell');
    assert.equal(archiveTypeOfHead(Buffer.from('PK\u0001\u0002')), undefined, 'a central directory is not a start');
  });

  it('gives back every byte, the peeked ones first, even when the signature arrives one byte at a time', async () => {
    const archive = await readFile(ZIP);
    const chunks = [archive.subarray(0, 1), archive.subarray(1, 2), archive.subarray(2, 3), archive.subarray(3, 1000), archive.subarray(1000)];
    const tracked = trackedSource(chunks);
    const peeked = await peekArchiveType(tracked.source);
    assert.equal(peeked.type, 'zip');
    assert.equal(tracked.pulled(), 4, 'reads only until the signature is complete');
    assert.ok((await collect(peeked.bytes)).equals(archive));
  });

  it('refuses a non-archive after its first chunk, closing the source without reading on', async () => {
    const tracked = trackedSource([Buffer.from('<html><body>'), Buffer.alloc(1 << 20)]);
    await assert.rejects(peekArchiveType(tracked.source), (error: unknown) => {
      assert.ok(error instanceof IngestError);
      assert.equal(error.code, 'ARCHIVE_UNSUPPORTED');
      assert.deepEqual(error.details, { firstBytes: '3c 68 74 6d' });
      return true;
    });
    assert.deepEqual([tracked.pulled(), tracked.returned()], [1, true]);
  });

  it('calls a 0-byte source empty and a 3-byte one not an archive', async () => {
    await assert.rejects(peekArchiveType(trackedSource([]).source), { code: 'EMPTY_UPLOAD' });
    await assert.rejects(peekArchiveType(trackedSource([Buffer.from([0x50, 0x4b, 0x03])]).source), { code: 'ARCHIVE_UNSUPPORTED' });
  });

  it('closes the source when the consumer stops early (a size limit), so its owner can answer', async () => {
    const tracked = trackedSource([Buffer.from([0x1f, 0x8b, 8, 0]), Buffer.alloc(10), Buffer.alloc(10), Buffer.alloc(10)]);
    const peeked = await peekArchiveType(tracked.source);
    for await (const chunk of peeked.bytes) if (chunk.byteLength === 10) break;
    assert.deepEqual([tracked.pulled(), tracked.returned()], [2, true]);
  });
});
