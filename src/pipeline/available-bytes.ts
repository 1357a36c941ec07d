import { statfs } from 'node:fs/promises';
import path from 'node:path';

/**
 * Bytes an unprivileged writer may still use on the file system holding `dir`. A folder not made
 * yet (a fresh data root) is measured at its nearest existing parent.
 */
export async function availableBytes(dir: string): Promise<number> {
  for (let current = dir; ; current = path.dirname(current)) {
    try {
      const stats = await statfs(current);
      return stats.bavail * stats.bsize;
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'ENOENT' || path.dirname(current) === current) throw error;
    }
  }
}
