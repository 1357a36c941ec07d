import type { Readable } from 'node:stream';

export type ReadUpTo = { readonly whole: Buffer; readonly rest?: undefined } | { readonly whole?: undefined; readonly rest: AsyncIterable<Uint8Array> };

/**
 * Reads a source into memory if it ends within `maxBytes`; otherwise gives back an iterable of
 * everything (the bytes already read, then the rest), so a large message still streams and
 * memory stays at `maxBytes`. An error of the source surfaces from whichever is read.
 */
export async function readUpTo(source: Readable | AsyncIterable<Uint8Array>, maxBytes: number): Promise<ReadUpTo> {
  if (maxBytes <= 0) return { rest: source as AsyncIterable<Uint8Array> };
  const iterator = (source as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
  const head: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const next = await iterator.next();
    if (next.done === true) return { whole: Buffer.concat(head, size) };
    const chunk = typeof next.value === 'string' ? Buffer.from(next.value) : next.value;
    head.push(chunk);
    size += chunk.byteLength;
    if (size > maxBytes) break;
  }
  return {
    rest: (async function* rest(): AsyncGenerator<Uint8Array> {
      try {
        yield* head;
        head.length = 0;
        for (let next = await iterator.next(); next.done !== true; next = await iterator.next()) yield next.value;
      } finally {
        // A reader that stops early (a full disk, a size cap) must stop the source too: an
        // abandoned stream iterator keeps its 'readable' listener, and a stream with one never
        // flows again, so the SMTP message could not be drained and the reply would hang.
        await iterator.return?.();
      }
    })(),
  };
}
