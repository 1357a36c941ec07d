import { archiveUnsupported } from './extract-errors.js';
import type { ArchiveType } from './extract-types.js';
import { IngestError } from '../../core/ingest-error.js';

/** The longest signature checked; the first chunk of any stream is far larger. */
export const ARCHIVE_SIGNATURE_BYTES = 4;
/** A client may dribble the first bytes one at a time; the decision never waits for more than this. */
const MAX_PEEK_BYTES = 4096;

const GZIP_SIGNATURE = [0x1f, 0x8b];
const ZIP_LOCAL_HEADER_SIGNATURE = [0x50, 0x4b, 0x03, 0x04];
const ZIP_EMPTY_ARCHIVE_SIGNATURE = [0x50, 0x4b, 0x05, 0x06];

/**
 * The archive format from the content's first bytes (detectArchiveType in extract.ts reads them
 * from a file and asks this): `.tar.gz` or `.zip`, never decided by a name.
 */
export function archiveTypeOfHead(head: Uint8Array): ArchiveType | undefined {
  if (startsWith(head, GZIP_SIGNATURE)) return 'tar.gz';
  if (startsWith(head, ZIP_LOCAL_HEADER_SIGNATURE) || startsWith(head, ZIP_EMPTY_ARCHIVE_SIGNATURE)) return 'zip';
  return undefined;
}

export interface PeekedArchive {
  readonly type: ArchiveType;
  /** Every byte of the source, the peeked ones first; nothing is lost or copied twice. */
  readonly bytes: AsyncIterable<Uint8Array>;
}

/**
 * Reads just enough of a byte stream to know its archive format, before anything is written:
 * an upload that is not a .tar.gz/.zip is refused after a few bytes, not after gigabytes.
 * Rejects with EMPTY_UPLOAD (no bytes at all) or ARCHIVE_UNSUPPORTED (showing the first bytes).
 * Giving up early returns the source's iterator, so its owner decides what happens to the rest.
 */
export async function peekArchiveType(source: AsyncIterable<Uint8Array>): Promise<PeekedArchive> {
  const iterator = source[Symbol.asyncIterator]();
  const peeked: Uint8Array[] = [];
  let peekedBytes = 0;
  let ended = false;
  try {
    while (peekedBytes < ARCHIVE_SIGNATURE_BYTES && peekedBytes < MAX_PEEK_BYTES) {
      const next = await iterator.next();
      if (next.done === true) {
        ended = true;
        break;
      }
      peeked.push(next.value);
      peekedBytes += next.value.byteLength;
    }
    if (peekedBytes === 0) throw new IngestError('EMPTY_UPLOAD', 'the upload is empty (0 bytes)');
    const head = Buffer.concat(peeked.map((chunk) => chunk.subarray(0, ARCHIVE_SIGNATURE_BYTES))).subarray(0, ARCHIVE_SIGNATURE_BYTES);
    const type = archiveTypeOfHead(head);
    if (type === undefined) throw archiveUnsupported(head);
    return { type, bytes: replay(peeked, ended ? undefined : iterator) };
  } catch (error) {
    if (!ended) await iterator.return?.();
    throw error;
  }
}

async function* replay(peeked: readonly Uint8Array[], rest: AsyncIterator<Uint8Array> | undefined): AsyncGenerator<Uint8Array> {
  let finished = rest === undefined;
  try {
    yield* peeked;
    while (rest !== undefined) {
      const next = await rest.next();
      if (next.done === true) {
        finished = true;
        return;
      }
      yield next.value;
    }
  } finally {
    if (!finished) await rest?.return?.();
  }
}

function startsWith(head: Uint8Array, signature: readonly number[]): boolean {
  return head.length >= signature.length && signature.every((byte, index) => head[index] === byte);
}
