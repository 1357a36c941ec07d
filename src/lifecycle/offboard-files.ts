import { lstat, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { AREAS, archivePath, areaPath, sanitizeSegment, type Area } from '../pipeline/paths.js';

/** Where the areas are: the data root, and the archive root (`archive.root` may be another mount). */
export interface AreaRoots {
  readonly dataRoot: string;
  readonly archiveRoot: string;
}

export interface FileCount {
  readonly files: number;
  readonly bytes: number;
}

/**
 * A customer's folders: `<area>/<slug>/` in inbox, tmp and archive (every job path starts with
 * the customer's segment, pipeline/paths.ts). The whole folder goes, so files no job row names
 * any more (an interrupted staging, an orphaned tmp copy) go too.
 */
function customerFolder(roots: AreaRoots, area: Area, slug: string): string {
  const segment = sanitizeSegment(slug);
  return area === 'archive' ? archivePath(roots.archiveRoot, segment) : areaPath(roots.dataRoot, area, segment);
}

/** Files and bytes per area under the customer's folders (missing folders count 0). */
export async function countCustomerFiles(roots: AreaRoots, slug: string): Promise<Record<Area, FileCount>> {
  const counts = {} as Record<Area, FileCount>;
  for (const area of AREAS) counts[area] = await countTree(customerFolder(roots, area, slug));
  return counts;
}

/** Removes the customer's folders; returns what was in them (counted just before). */
export async function removeCustomerFiles(roots: AreaRoots, slug: string): Promise<Record<Area, FileCount>> {
  const counts = await countCustomerFiles(roots, slug);
  for (const area of AREAS) await rm(customerFolder(roots, area, slug), { recursive: true, force: true });
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
