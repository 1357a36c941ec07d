import { lstat, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { AREAS, areaPath, sanitizeSegment, type Area } from '../pipeline/paths.js';

export interface FileCount {
  readonly files: number;
  readonly bytes: number;
}

/**
 * A customer's folders: `<area>/<slug>/` in inbox, tmp and archive (every job path starts with
 * the customer's segment, pipeline/paths.ts). The whole folder goes, so files no job row names
 * any more (an interrupted staging, an orphaned tmp copy) go too.
 */
function customerFolder(dataRoot: string, area: Area, slug: string): string {
  return areaPath(dataRoot, area, sanitizeSegment(slug));
}

/** Files and bytes per area under the customer's folders (missing folders count 0). */
export async function countCustomerFiles(dataRoot: string, slug: string): Promise<Record<Area, FileCount>> {
  const counts = {} as Record<Area, FileCount>;
  for (const area of AREAS) counts[area] = await countTree(customerFolder(dataRoot, area, slug));
  return counts;
}

/** Removes the customer's folders; returns what was in them (counted just before). */
export async function removeCustomerFiles(dataRoot: string, slug: string): Promise<Record<Area, FileCount>> {
  const counts = await countCustomerFiles(dataRoot, slug);
  for (const area of AREAS) await rm(customerFolder(dataRoot, area, slug), { recursive: true, force: true });
  return counts;
}

/** Counts regular files without following links (a link is counted as a file, never entered). */
async function countTree(dir: string): Promise<FileCount> {
  const entries = await readdir(dir, { withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [];
    throw error;
  });
  let files = 0;
  let bytes = 0;
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      const inner = await countTree(full);
      files += inner.files;
      bytes += inner.bytes;
    } else {
      files += 1;
      bytes += (await lstat(full).catch(() => undefined))?.size ?? 0;
    }
  }
  return { files, bytes };
}
