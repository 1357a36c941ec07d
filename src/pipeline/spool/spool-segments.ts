import { randomUUID } from 'node:crypto';
import { open, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { IngestError } from '../../core/ingest-error.js';
import { fsyncDirectory } from '../staging/stage.js';

export const SEGMENT_SUFFIX = '.spool';
const SEGMENT_BYTES = 64 * 1024 * 1024;

/** What the parts of one spool share: the lock generation and whether it is stopping. */
export interface SpoolState {
  /**
   * Counts losses of the lock. Whatever was in memory before a loss (segments, records to drain)
   * belongs to an older generation: it is dropped, and the replay after the lock is taken again
   * starts from the files on disk, since another instance may have replayed them meanwhile.
   */
  generation: number;
  /** No more arrivals are taken. */
  stopped: boolean;
  /** Stopping is past its grace: the drain ends at its next step. */
  halted: boolean;
}

export interface Segment {
  readonly name: string;
  readonly file: string;
  handle: FileHandle | undefined;
  size: number;
  /** Records appended whose job folder is not yet written and durable. */
  pending: number;
  /** No more appends: deleted once nothing is pending. */
  closed: boolean;
  /** A record could not be read back: keep the file for a person to look at. */
  damaged: boolean;
  /** The lock generation it belongs to: one of before a loss is never deleted (another instance may own it now). */
  readonly generation: number;
}

/** One record in a segment whose job folder is still to be written. */
export interface SpoolItem {
  readonly segment: Segment;
  readonly offset: number;
  readonly length: number;
  readonly stagingId: string;
  /** Read back by a replay (or its batch's INSERT failed): its row may never have been committed. */
  readonly recovered: boolean;
}

/**
 * The segment files of one spool: appended to one at a time (up to 64 MiB each), each deleted
 * once every record in it has its durable job folder.
 */
export class SpoolSegments {
  readonly dir: string;
  readonly #state: SpoolState;
  #current: Segment | undefined;
  readonly #all = new Set<Segment>();

  constructor(dir: string, state: SpoolState) {
    this.dir = dir;
    this.#state = state;
  }

  /**
   * Appends a batch to the current segment and makes it durable: one write loop, one fdatasync.
   * Returns where the batch starts; its records count as pending from here.
   */
  async append(buffers: readonly Buffer[]): Promise<{ readonly segment: Segment; readonly start: number }> {
    const total = buffers.reduce((sum, buffer) => sum + buffer.byteLength, 0);
    const segment = await this.#segmentFor(total, this.#state.generation);
    const handle = segment.handle as FileHandle;
    const start = segment.size;
    try {
      let written = 0;
      while (written < total) {
        const { bytesWritten } = await handle.writev(remaining(buffers, written));
        if (bytesWritten === 0) throw new IngestError('STORAGE_LOW', 'the disk accepted no more bytes', { transient: true });
        written += bytesWritten;
      }
      await handle.datasync();
    } catch (error) {
      // A partial write would hide every later record of this segment from a replay: start a
      // new segment for the next batch. These arrivals were not acknowledged.
      segment.closed = true;
      await this.close(segment);
      throw error instanceof IngestError
        ? error
        : new IngestError('SPOOL_WRITE_FAILED', `could not append to the spool: ${(error as Error).message}`, { transient: true, cause: error });
    }
    segment.size = start + total;
    segment.pending += buffers.length;
    return { segment, start };
  }

  /** A segment found on disk by a replay: closed, its records counted as they are read. */
  adopt(name: string, generation: number): Segment {
    const segment: Segment = { name, file: path.join(this.dir, name), handle: undefined, size: 0, pending: 0, closed: true, damaged: false, generation };
    this.#all.add(segment);
    return segment;
  }

  /** Closes a closed segment's file, and deletes it once none of its records is pending (and the lock was not lost since). */
  async close(segment: Segment): Promise<void> {
    if (!segment.closed) return;
    const handle = segment.handle;
    segment.handle = undefined;
    await handle?.close().catch(() => undefined);
    if (segment.pending === 0 && !segment.damaged && segment.generation === this.#state.generation) {
      this.#all.delete(segment);
      if (this.#current === segment) this.#current = undefined;
      await unlink(segment.file).catch(() => undefined);
    }
  }

  /** One record of `segment` needs nothing more (folder durable, or no job for it). */
  settle(segment: Segment): void {
    segment.pending -= 1;
    if (segment.pending === 0 && segment.closed) void this.close(segment);
  }

  /** At a stop: no more appends; segments whose records all have their folders are deleted. */
  async closeAll(): Promise<void> {
    for (const segment of [...this.#all]) {
      segment.closed = true;
      await this.close(segment);
    }
  }

  /** Drops every segment this instance knew of (their files stay, for the replay after a regained lock). */
  async forget(): Promise<void> {
    const segments = [...this.#all];
    this.#all.clear();
    this.#current = undefined;
    for (const segment of segments) {
      const handle = segment.handle;
      segment.handle = undefined;
      await handle?.close().catch(() => undefined);
    }
  }

  async #segmentFor(bytes: number, generation: number): Promise<Segment> {
    const current = this.#current;
    if (current !== undefined && !current.closed && current.size + bytes <= SEGMENT_BYTES) return current;
    if (current !== undefined) {
      current.closed = true;
      await this.close(current);
    }
    const name = `${Date.now().toString().padStart(14, '0')}-${randomUUID()}${SEGMENT_SUFFIX}`;
    const file = path.join(this.dir, name);
    const handle = await open(file, 'wx', 0o600);
    // The new segment's name must survive a crash too, or its records would be lost with it.
    await fsyncDirectory(this.dir);
    const segment: Segment = { name, file, handle, size: 0, pending: 0, closed: false, damaged: false, generation };
    this.#all.add(segment);
    this.#current = segment;
    return segment;
  }
}

/** The buffers left after `skip` bytes were written (writev may write part of them). */
function remaining(buffers: readonly Buffer[], skip: number): Buffer[] {
  const rest: Buffer[] = [];
  let offset = skip;
  for (const buffer of buffers) {
    if (offset >= buffer.byteLength) {
      offset -= buffer.byteLength;
      continue;
    }
    rest.push(offset === 0 ? buffer : buffer.subarray(offset));
    offset = 0;
  }
  return rest;
}
