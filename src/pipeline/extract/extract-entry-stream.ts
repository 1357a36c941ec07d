import type { EventEmitter } from 'node:events';
import { Readable } from 'node:stream';
import type { ArchiveBudgets } from './archive-budgets.js';
import { checkEntrySize } from './extract-budgets.js';
import { toArchiveDecodeError } from './extract-errors.js';
import type { ArchiveEntry } from './extract-types.js';

/** Enough to keep a COPY stream busy without letting a slow consumer pile up memory. */
const ENTRY_STREAM_HIGH_WATER_MARK_BYTES = 64 * 1024;

/**
 * What delivery needs from an entry's byte source: node-tar's ReadEntry (a Minipass stream) and
 * yauzl's read stream (a Node Readable) both fit.
 */
export interface EntrySource extends EventEmitter {
  pause(): unknown;
  resume(): unknown;
}

export interface DeliverEntryArgs {
  readonly source: EntrySource;
  readonly path: string;
  readonly declaredSize: number;
  readonly budgets: ArchiveBudgets;
  /** Aborted with the whole read's first failure: the consumer's stream then errors with it. */
  readonly abortSignal: AbortSignal;
  /** Sees every byte, read or drained; throw to fail the entry (budgets, running checksums). */
  readonly onChunk?: (chunk: Buffer) => void;
  /** Runs once all bytes are in and before the consumer sees the end; throw to fail (checksum). */
  readonly beforeEnd?: () => void;
  readonly onEntry: (entry: ArchiveEntry) => Promise<void>;
}

/**
 * Hands one entry to the consumer as a Node Readable with backpressure (the source is paused while
 * the consumer is behind), counts and checks every byte, and drains whatever the consumer leaves
 * unread so the archive can move on. Resolves with the entry's byte count once the consumer has
 * returned and the source has ended.
 */
export async function deliverEntry(args: DeliverEntryArgs): Promise<number> {
  const { source, path, budgets, abortSignal } = args;
  let bytes = 0;
  let discarding = false;
  let entryFailure: unknown;
  let resolveSourceEnded: () => void = () => undefined;
  let rejectSourceEnded: (error: unknown) => void = () => undefined;
  const sourceEnded = new Promise<void>((resolve, reject) => {
    resolveSourceEnded = resolve;
    rejectSourceEnded = reject;
  });
  sourceEnded.catch(() => undefined);

  const startDiscarding = (): void => {
    discarding = true;
    source.resume();
  };
  const stream = new Readable({
    highWaterMark: ENTRY_STREAM_HIGH_WATER_MARK_BYTES,
    read() {
      if (!discarding) source.resume();
    },
    destroy(error, callback) {
      // A failed entry fails the whole read: stop its source instead of inflating the rest.
      if (entryFailure === undefined) startDiscarding();
      else source.pause();
      callback(error);
    },
  });
  // The failure reaches the caller through our promise; a consumer that already stopped listening
  // must not turn the stream's error event into an uncaught exception.
  stream.on('error', () => undefined);
  const failEntry = (error: unknown): void => {
    if (entryFailure !== undefined) return;
    entryFailure = error;
    if (!stream.destroyed) stream.destroy(error instanceof Error ? error : new Error(String(error)));
    rejectSourceEnded(error);
  };

  source.on('data', (chunk: Buffer) => {
    if (entryFailure !== undefined) return;
    bytes += chunk.length;
    try {
      checkEntrySize({ budgets, entryPath: path, bytes });
      args.onChunk?.(chunk);
    } catch (error) {
      failEntry(error);
      return;
    }
    if (!discarding && !stream.push(chunk)) source.pause();
  });
  source.on('end', () => {
    if (entryFailure !== undefined) return;
    try {
      args.beforeEnd?.();
    } catch (error) {
      failEntry(error);
      return;
    }
    if (!discarding) stream.push(null);
    resolveSourceEnded();
  });
  source.on('error', (error: unknown) => failEntry(toArchiveDecodeError(error)));

  const onAbort = (): void => failEntry(abortSignal.reason);
  if (abortSignal.aborted) onAbort();
  else abortSignal.addEventListener('abort', onAbort, { once: true });
  try {
    try {
      await args.onEntry({ path, size: args.declaredSize, stream });
    } catch (error) {
      // When we failed the stream first, the consumer's error is only a symptom of ours.
      if (entryFailure === undefined) throw error;
    }
    if (!stream.destroyed) stream.destroy();
    await sourceEnded;
    return bytes;
  } finally {
    abortSignal.removeEventListener('abort', onAbort);
  }
}
