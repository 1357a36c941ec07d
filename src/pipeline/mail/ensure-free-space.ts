import { statfs } from 'node:fs/promises';
import path from 'node:path';
import { IngestError, toIngestError } from '../ingest-error.js';

/**
 * Refuses new work early (Postfix's `queue_minfree`): rejects with the transient `STORAGE_LOW`
 * when the file system holding `dir` has fewer than `neededBytes` available to this user. A
 * `dir` not created yet is measured at its nearest existing parent.
 */
export async function ensureFreeSpace(args: { readonly dir: string; readonly neededBytes: number }): Promise<void> {
  const available = await availableBytes(path.resolve(args.dir)).catch((error: unknown) => { throw toIngestError(error); });
  if (available < args.neededBytes) {
    throw new IngestError('STORAGE_LOW', `only ${available} bytes free for ${args.dir}, ${args.neededBytes} needed`, {
      transient: true, details: { availableBytes: available, neededBytes: args.neededBytes },
    });
  }
}

async function availableBytes(dir: string): Promise<number> {
  for (let current = dir; ; current = path.dirname(current)) {
    try {
      const stats = await statfs(current);
      return stats.bavail * stats.bsize;
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'ENOENT' || path.dirname(current) === current) throw error;
    }
  }
}
