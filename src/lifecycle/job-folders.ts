import { lstat, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config/config-schema.js';
import { archivePath, archiveRootOf, areaPath } from '../pipeline/paths.js';

export type JobArea = 'inbox' | 'archive' | 'tmp';

/** The folder of one job in one area (archive: under `archive.root`). */
export function jobFolder(config: Pick<Config, 'dataRoot' | 'archive'>, area: JobArea, relativePath: string): string {
  return area === 'archive' ? archivePath(archiveRootOf(config), relativePath) : areaPath(config.dataRoot, area, relativePath);
}

/** Bytes of the files under `dir`, null when it does not exist; links are counted, never followed. */
export async function folderBytes(dir: string): Promise<number | null> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT' || (error as { code?: string }).code === 'ENOTDIR') return null;
    throw error;
  }
  let total = 0;
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) total += (await folderBytes(full)) ?? 0;
    else total += (await lstat(full).catch(() => ({ size: 0 }))).size;
  }
  return total;
}

/**
 * Measures and removes one job's folder in the given areas; returns the bytes removed. Removing is
 * idempotent (a folder already gone counts 0), so a purge killed half-way is simply run again.
 * Empty parent folders stay: staging creates them just before renaming a job folder in, and
 * removing one at that moment would fail the arrival.
 */
export async function removeJobFolders(
  config: Pick<Config, 'dataRoot' | 'archive'>,
  relativePath: string,
  areas: readonly JobArea[],
  dryRun = false,
): Promise<number> {
  let bytes = 0;
  for (const area of areas) {
    const dir = jobFolder(config, area, relativePath);
    const found = await folderBytes(dir);
    // Most rows that go have no folder left in most areas: one readdir answers for them.
    if (found === null) continue;
    bytes += found;
    if (!dryRun) await rm(dir, { recursive: true, force: true });
  }
  return bytes;
}

/**
 * Runs `work` on every item, at most `concurrency` at once (file system calls go to libuv's
 * thread pool, whose 4 threads a serial loop would leave mostly idle); results in input order.
 */
export async function mapConcurrently<T, R>(items: readonly T[], concurrency: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    for (let index = next++; index < items.length; index = next++) results[index] = await work(items[index] as T);
  });
  await Promise.all(lanes);
  return results;
}
