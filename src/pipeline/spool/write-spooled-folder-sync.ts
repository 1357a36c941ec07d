import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { INCOMING_FOLDER, areaPath } from '../paths.js';
import { MANIFEST_FILE } from '../staging/staging-folder.js';
import type { SpoolRecord } from './spool-record.js';

/**
 * writeSpooledFolder (write-spooled-folder.ts) with blocking calls, for the folder worker
 * (write-folder-batch.ts): the same files, modes, flags and crash-leftover handling, but one
 * thread writes a whole batch without a libuv hop and a promise per call on the event loop,
 * which also runs the SMTP sessions. Never call it on the main thread.
 */
export function writeSpooledFolderSync(args: { readonly dataRoot: string; readonly relativePath: string; readonly record: SpoolRecord }): string[] {
  const { manifest, contents } = args.record;
  const target = areaPath(args.dataRoot, 'inbox', args.relativePath);
  const temporary = areaPath(args.dataRoot, 'inbox', path.join(INCOMING_FOLDER, manifest.stagingId));
  replacedSync(temporary, () => {
    if (mkdirSync(temporary, { recursive: true, mode: 0o700 }) === undefined) throw Object.assign(new Error(`${temporary} exists`), { code: 'EEXIST' });
  });
  const written: string[] = [];
  for (const [index, file] of manifest.files.entries()) {
    writeFileSync(path.join(temporary, path.basename(file.name)), contents[index] as Buffer, { mode: 0o600, flag: 'wx' });
    written.push(path.join(target, path.basename(file.name)));
  }
  writeFileSync(path.join(temporary, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  mkdirSync(path.dirname(target), { recursive: true });
  replacedSync(target, () => renameSync(temporary, target));
  return [...written, path.join(target, MANIFEST_FILE), target];
}

/** Runs `create`; if something is in the way (a crash's leftover), removes it and runs `create` again. */
function replacedSync(target: string, create: () => void): void {
  try {
    create();
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code !== 'EEXIST' && code !== 'ENOTEMPTY') throw error;
    rmSync(target, { recursive: true, force: true });
    create();
  }
}
