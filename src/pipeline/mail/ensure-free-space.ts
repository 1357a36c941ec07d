import path from 'node:path';
import { IngestError, toIngestError } from '../../core/ingest-error.js';
import { availableBytes } from '../available-bytes.js';

/** Postfix's queue_minfree rule of thumb: room for this many maximal messages before MAIL FROM is accepted. */
export const FREE_SPACE_FACTOR = 1.5;

/** The free space a mail transport asks for before taking a message: 1.5 maximal messages. */
export function roomForMessage(maxMessageBytes: number): number {
  return Math.ceil(maxMessageBytes * FREE_SPACE_FACTOR);
}

/**
 * Refuses new work early (Postfix's `queue_minfree`): rejects with the transient `STORAGE_LOW`
 * when the file system holding `dir` has fewer than `neededBytes` available to this user. A
 * `dir` not created yet is measured at its nearest existing parent.
 */
export async function ensureFreeSpace(args: { readonly dir: string; readonly neededBytes: number }): Promise<void> {
  const available = await recentAvailableBytes(path.resolve(args.dir)).catch((error: unknown) => {
    throw toIngestError(error);
  });
  if (available < args.neededBytes) {
    throw new IngestError('STORAGE_LOW', `only ${available} bytes free for ${args.dir}, ${args.neededBytes} needed`, {
      details: { availableBytes: available, neededBytes: args.neededBytes },
    });
  }
}

/** Free space changes slowly next to a message's size: one statfs a second is enough, even at thousands of MAIL FROMs a second. */
const MEASURE_EVERY_MS = 1000;
const measured = new Map<string, { readonly at: number; readonly bytes: number }>();

async function recentAvailableBytes(dir: string): Promise<number> {
  const last = measured.get(dir);
  if (last !== undefined && Date.now() - last.at < MEASURE_EVERY_MS) return last.bytes;
  const bytes = await availableBytes(dir);
  if (measured.size > 100) measured.clear();
  measured.set(dir, { at: Date.now(), bytes });
  return bytes;
}
