import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { cp, mkdir, open, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { ArchiveMode } from '../../config/config-schema.js';
import { fsyncDirectory } from '../staging/stage.js';
import { archivePath, areaPath } from '../paths.js';

/**
 * Keeps a copy of a job's originals under `<archiveRoot>/<relativePath>` (the seed's optional
 * archive area; `archive.root` may put it on another, slower mount): a plain copy, or one `.tar.gz`/`.zip` of the
 * folder. The copy is built under a temporary name and swapped in, so a retry, or a worker that
 * lost its lease, never leaves a partial archive behind.
 */
export async function archiveJobFolder(args: {
  readonly dataRoot: string;
  readonly archiveRoot: string;
  readonly relativePath: string;
  readonly mode: ArchiveMode;
}): Promise<string | null> {
  if (args.mode === 'none') return null;
  const source = areaPath(args.dataRoot, 'inbox', args.relativePath);
  const target = archivePath(args.archiveRoot, args.relativePath);
  const building = `${target}.building-${randomBytes(4).toString('hex')}`;
  await mkdir(path.dirname(target), { recursive: true });
  try {
    if (args.mode === 'copy') {
      await cp(source, building, { recursive: true, errorOnExist: true, force: false });
    } else {
      await mkdir(building);
      // Loaded on first use: about 20 MiB resident, and most installations never pack an archive.
      const { TarArchive, ZipArchive } = await import('archiver');
      const file = path.join(building, args.mode === 'zip' ? 'original.zip' : 'original.tar.gz');
      const archive = args.mode === 'zip' ? new ZipArchive({ zlib: { level: 6 } }) : new TarArchive({ gzip: true, gzipOptions: { level: 6 } });
      archive.directory(source, false);
      // Both must settle: a failed write (a full archive volume) must reject here, not crash the process.
      await Promise.all([pipeline(archive, createWriteStream(file, { flags: 'wx' })), archive.finalize()]);
      const handle = await open(file, 'r');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
    }
    await fsyncDirectory(building);
    await rm(target, { recursive: true, force: true });
    await rename(building, target);
    await fsyncDirectory(path.dirname(target));
  } catch (error) {
    await rm(building, { recursive: true, force: true });
    throw error;
  }
  return target;
}
