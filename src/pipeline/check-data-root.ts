import { randomBytes } from 'node:crypto';
import { mkdir, rm, statfs, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { areaPath } from './paths.js';

/** Below this much free space the instance reports itself not ready (new arrivals would fail). */
export const READY_MIN_FREE_BYTES = 512 * 1024 * 1024;

export interface DataRootCheck {
  readonly ok: boolean;
  /** Why not, in words an operator can act on; absent when ok. */
  readonly reason?: string;
  readonly freeBytes?: number;
}

/**
 * Can this instance stage arrivals right now? Writes and removes a small probe file under
 * `tmp/` (not inbox/, which is written once per arrival and never touched otherwise) and checks
 * the free space of the file system holding the data root.
 */
export async function checkDataRoot(args: { readonly dataRoot: string; readonly minFreeBytes?: number }): Promise<DataRootCheck> {
  const minFreeBytes = args.minFreeBytes ?? READY_MIN_FREE_BYTES;
  const dir = areaPath(args.dataRoot, 'tmp', '.');
  const probe = path.join(dir, `.ready-probe-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    await mkdir(dir, { recursive: true });
    await writeFile(probe, 'ok', { flag: 'wx', mode: 0o600 });
  } catch (error) {
    return { ok: false, reason: `data root ${args.dataRoot} is not writable (${(error as { code?: string }).code ?? 'error'})` };
  } finally {
    await rm(probe, { force: true }).catch(() => undefined);
  }
  const stats = await statfs(dir);
  const freeBytes = stats.bavail * stats.bsize;
  if (freeBytes < minFreeBytes)
    return { ok: false, reason: `only ${freeBytes} bytes free under ${args.dataRoot} (at least ${minFreeBytes} needed)`, freeBytes };
  return { ok: true, freeBytes };
}
