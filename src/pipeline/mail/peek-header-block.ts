import type { Readable } from 'node:stream';

/**
 * The most of a message's head read before its header is judged. Postfix keeps at most 100 KiB
 * of one header (`header_size_limit`), and the headers that matter here are the first ones (each
 * hop prepends its own); a longer header block is judged on its first part.
 */
export const MAX_HEADER_BLOCK_BYTES = 256 * 1024;

export interface PeekedMessage {
  /** The header block, up to and with the blank line that ends it, or the first `maxBytes` without one. */
  readonly headerBlock: Buffer;
  /** Every byte of the message, the peeked ones first; read it once. */
  readonly message: AsyncIterable<Uint8Array>;
  /**
   * Stops the source when `message` will never be read (the mail is refused on its header). An
   * abandoned stream iterator keeps its 'readable' listener and the stream would never flow
   * again, so the rest of an SMTP message could not be drained and the reply would hang.
   */
  close(): Promise<void>;
}

/**
 * Reads a message's header block before anything is written, so a mail can be refused on what its
 * header says (sender authentication) before any job exists. Memory stays at about `maxBytes`.
 * An error of the source (too large, a client gone) rejects here or surfaces from `message`.
 */
export async function peekHeaderBlock(source: Readable | AsyncIterable<Uint8Array>, maxBytes = MAX_HEADER_BLOCK_BYTES): Promise<PeekedMessage> {
  const iterator = (source as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let size = 0;
  let ended = false;
  let end: number | undefined;
  // The blank line may straddle two chunks: the seam (the 3 bytes before a chunk and its first 3)
  // is searched apart, so no chunk is copied and a trickle of tiny chunks costs linear work.
  let tail = Buffer.alloc(0);
  while (end === undefined && size < maxBytes) {
    const next = await iterator.next();
    if (next.done === true) {
      ended = true;
      break;
    }
    const chunk = typeof next.value === 'string' ? Buffer.from(next.value) : Buffer.from(next.value.buffer, next.value.byteOffset, next.value.byteLength);
    head.push(chunk);
    const seam = Buffer.concat([tail, chunk.subarray(0, 3)]);
    const acrossSeam = headerBlockEnd(seam, size === 0);
    const inChunk = headerBlockEnd(chunk, size === 0);
    const ends = [...(acrossSeam === undefined ? [] : [size - tail.length + acrossSeam]), ...(inChunk === undefined ? [] : [size + inChunk])];
    end = ends.length === 0 ? undefined : Math.min(...ends);
    size += chunk.byteLength;
    tail = Buffer.concat([tail, chunk.subarray(Math.max(0, chunk.length - 3))]);
    tail = tail.subarray(Math.max(0, tail.length - 3));
  }
  const headerBlock = firstBytes(head, Math.min(end ?? size, maxBytes));
  let started = false;
  return {
    headerBlock,
    message: (async function* message(): AsyncGenerator<Uint8Array> {
      started = true;
      try {
        yield* head;
        head.length = 0;
        if (ended) return;
        for (let next = await iterator.next(); next.done !== true; next = await iterator.next()) yield next.value;
      } finally {
        await iterator.return?.();
      }
    })(),
    async close() {
      // Once `message` is being read, its own `finally` stops the source.
      if (!started && !ended) await iterator.return?.();
    },
  };
}

/** Where the header block ends in `window` (after its blank line); `atStart` when the window is the message's first bytes. */
function headerBlockEnd(window: Buffer, atStart: boolean): number | undefined {
  // A message with no header at all starts with its blank line.
  if (atStart && window[0] === 0x0a) return 1;
  if (atStart && window[0] === 0x0d && window[1] === 0x0a) return 2;
  const crlf = window.indexOf('\r\n\r\n');
  const lf = window.indexOf('\n\n');
  const ends = [crlf === -1 ? -1 : crlf + 4, lf === -1 ? -1 : lf + 2].filter((index) => index !== -1);
  return ends.length === 0 ? undefined : Math.min(...ends);
}

/** The first `length` bytes of `chunks`, copying no more than that (the last chunk may be a whole large message). */
function firstBytes(chunks: readonly Buffer[], length: number): Buffer {
  const parts: Buffer[] = [];
  let taken = 0;
  for (const chunk of chunks) {
    if (taken >= length) break;
    const part = chunk.subarray(0, length - taken);
    parts.push(part);
    taken += part.length;
  }
  return Buffer.concat(parts, taken);
}
