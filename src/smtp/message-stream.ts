import type { SMTPServerDataStream } from 'smtp-server';
import { IngestError } from '../core/ingest-error.js';
import type { DataIdleDeadline } from './data-idle-deadline.js';

/**
 * The DATA stream's chunks, failing with `MESSAGE_TOO_LARGE` (552 5.3.4) as soon as smtp-server
 * flags the message as over `size`: smtp-server only counts, so without this check a huge
 * message would fill the disk. The stream is left undestroyed when the reader stops, so the
 * rest can be drained and the reply still comes after the client's final dot. `idle`, when
 * given, is told whenever the reader waits for the client (see DataIdleDeadline).
 */
export async function* limitedMessage(stream: SMTPServerDataStream, maxBytes: number, idle?: DataIdleDeadline): AsyncGenerator<Uint8Array> {
  for await (const chunk of chunksUnderDeadline(stream, idle)) {
    if (stream.sizeExceeded) throw tooLarge(maxBytes);
    yield chunk;
  }
  if (stream.sizeExceeded) throw tooLarge(maxBytes);
}

/**
 * Reads and discards whatever is left of the message. smtp-server replies only once the stream
 * has ended, and it resumes a stream only if nobody ever read it; a stream we stopped reading
 * would otherwise stall the session until its timeout. It reads with `read()` rather than
 * `resume()`: a stream that still has a 'readable' listener (a reader that stopped without
 * cleaning up) ignores resume() and would never end.
 */
export async function drainMessage(stream: SMTPServerDataStream, idle?: DataIdleDeadline): Promise<void> {
  if (stream.readableEnded || stream.destroyed) return;
  // The same idle deadline as while reading: a refused message (too large, disk full) must not
  // let its sender trickle the rest and hold the slot until the session cap.
  try {
    for await (const _chunk of chunksUnderDeadline(stream, idle)) {
      /* discarded */
    }
  } catch {
    // The client went away (or the deadline cut it): smtp-server has closed the session, nothing is left to answer.
  }
}

/** The stream's chunks, telling `idle` whenever we wait for the client; the stream is never destroyed by stopping. */
async function* chunksUnderDeadline(stream: SMTPServerDataStream, idle?: DataIdleDeadline): AsyncGenerator<Uint8Array> {
  const chunks = stream.iterator({ destroyOnReturn: false });
  try {
    for (;;) {
      idle?.waiting();
      const next = await chunks.next();
      if (next.done === true) return;
      idle?.received(next.value as Uint8Array);
      yield next.value as Uint8Array;
    }
  } finally {
    idle?.stop();
    await chunks.return?.();
  }
}

function tooLarge(maxBytes: number): IngestError {
  return new IngestError('MESSAGE_TOO_LARGE', `message exceeds the maximum size of ${maxBytes} bytes`, { details: { limitBytes: maxBytes } });
}
