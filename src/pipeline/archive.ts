import { createWriteStream } from 'node:fs';
import { cp, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { TarArchive, ZipArchive } from 'archiver';
import type { ArchiveMode } from '../config/config-schema.js';
import { fsyncDirectory } from './stage.js';
import { areaPath } from './paths.js';

/**
 * Keeps a copy of a job's originals under `archive/<relativePath>` (the seed's optional archive
 * area, which may be mounted on slower storage): a plain copy, or one `.tar.gz`/`.zip` of the
 * folder. Rewrites the target on a retry, so it is safe to run again.
 */
export async function archiveJobFolder(args: { readonly dataRoot: string; readonly relativePath: string; readonly mode: ArchiveMode }): Promise<string | null> {
  if (args.mode === 'none') return null;
  const source = areaPath(args.dataRoot, 'inbox', args.relativePath);
  const target = areaPath(args.dataRoot, 'archive', args.relativePath);
  await rm(target, { recursive: true, force: true });
  if (args.mode === 'copy') {
    await cp(source, target, { recursive: true, errorOnExist: true, force: false });
    return target;
  }
  await mkdir(target, { recursive: true });
  const file = path.join(target, args.mode === 'zip' ? 'original.zip' : 'original.tar.gz');
  const archive = args.mode === 'zip' ? new ZipArchive({ zlib: { level: 6 } }) : new TarArchive({ gzip: true, gzipOptions: { level: 6 } });
  archive.directory(source, false);
  const written = pipeline(archive, createWriteStream(file, { flags: 'wx' }));
  await archive.finalize();
  await written;
  await fsyncDirectory(target);
  return target;
}
