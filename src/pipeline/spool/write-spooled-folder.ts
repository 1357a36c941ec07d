import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { INCOMING_FOLDER, areaPath } from '../paths.js';
import { MANIFEST_FILE } from '../staging/staging-folder.js';
import type { SpoolRecord } from './spool-record.js';

/**
 * Writes a spooled arrival's job folder, `inbox/<relativePath>/`, exactly as the folder path
 * would have: its files and manifest.json, built under `inbox/.incoming/<stagingId>/` and renamed
 * into place. Nothing is fsynced here: the spool still holds the original, and the caller makes
 * a whole batch durable at once before it lets go of the spool record. A folder already there
 * was left by an earlier attempt that a crash cut short (the path is reserved for this job by its
 * row), so it is replaced. Returns every path written, for a per-file fsync fallback.
 *
 * The drain's fallback: batches normally go to the folder worker (spool-folder-writer.ts), which
 * writes the same folders with blocking calls (write-spooled-folder-sync.ts). Asynchronous here
 * because creating files costs the kernel 0.1–0.2 ms each on a virtual disk (profiled), time
 * that must not block the event loop.
 */
export async function writeSpooledFolder(args: { readonly dataRoot: string; readonly relativePath: string; readonly record: SpoolRecord }): Promise<string[]> {
  const { manifest, contents } = args.record;
  const target = areaPath(args.dataRoot, 'inbox', args.relativePath);
  const temporary = areaPath(args.dataRoot, 'inbox', path.join(INCOMING_FOLDER, manifest.stagingId));
  await replaced(temporary, async () => {
    if ((await mkdir(temporary, { recursive: true, mode: 0o700 })) === undefined) throw Object.assign(new Error(`${temporary} exists`), { code: 'EEXIST' });
  });
  const written: string[] = [];
  for (const [index, file] of manifest.files.entries()) {
    await writeFile(path.join(temporary, path.basename(file.name)), contents[index] as Buffer, { mode: 0o600, flag: 'wx' });
    written.push(path.join(target, path.basename(file.name)));
  }
  await writeFile(path.join(temporary, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  await mkdir(path.dirname(target), { recursive: true });
  await replaced(target, () => rename(temporary, target));
  return [...written, path.join(target, MANIFEST_FILE), target];
}

/** Runs `create`; if something is in the way (a crash's leftover), removes it and runs `create` again. */
async function replaced(target: string, create: () => Promise<unknown>): Promise<void> {
  try {
    await create();
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code !== 'EEXIST' && code !== 'ENOTEMPTY') throw error;
    await rm(target, { recursive: true, force: true });
    await create();
  }
}
