import { createHash, randomUUID } from 'node:crypto';
import { closeSync, createReadStream, openSync, readSync } from 'node:fs';
import { mkdir, open, rename, rm, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { StagedFile } from '../../core/staged-file.js';
import { IngestError } from '../../core/ingest-error.js';
import { INCOMING_FOLDER, areaPath } from '../paths.js';
import { MANIFEST_FILE, checkStagedFileName, decodeHead, stagedFileRecord, toChunks, type StagingFolder, type WriteStagedFileArgs } from './staging-folder.js';

export { MANIFEST_FILE, type WriteStagedFileArgs };

/**
 * A job folder under construction: `inbox/.incoming/<id>/`. Files are written to a temporary
 * name, fsynced and renamed; the manifest comes last and the folder is fsynced, so a folder with
 * a manifest is complete. Only then is it published under its real path (see publishIncoming).
 */
export class IncomingFolder implements StagingFolder {
  readonly id: string;
  readonly dir: string;
  readonly files: StagedFile[] = [];

  private constructor(id: string, dir: string) {
    this.id = id;
    this.dir = dir;
  }

  static async create(dataRoot: string): Promise<IncomingFolder> {
    const id = randomUUID();
    const dir = areaPath(dataRoot, 'inbox', path.join(INCOMING_FOLDER, id));
    await mkdir(dir, { recursive: true, mode: 0o700 });
    return new IncomingFolder(id, dir);
  }

  async writeFile(args: WriteStagedFileArgs): Promise<StagedFile> {
    checkStagedFileName(this, args.name);
    const finalPath = path.join(this.dir, args.name);
    const partPath = `${finalPath}.part`;
    const handle = await open(partPath, 'wx', 0o600);
    const hash = createHash('sha256');
    let size = 0;
    try {
      for await (const chunk of toChunks(args.source)) {
        size += chunk.byteLength;
        if (args.maxBytes !== undefined && size > args.maxBytes) {
          throw new IngestError('ARRIVAL_TOO_LARGE', `the file is larger than the limit of ${args.maxBytes} bytes`, { details: { limitBytes: args.maxBytes } });
        }
        hash.update(chunk);
        await writeFully(handle, chunk);
        args.onProgress?.(size);
      }
      await handle.sync();
      // A full disk can end a write short without an error: never trust a size we did not see on disk.
      const written = (await handle.stat()).size;
      if (written !== size) throw new IngestError('STORAGE_LOW', `only ${written} of ${size} bytes reached the disk`);
    } catch (error) {
      await handle.close().catch(() => undefined);
      await rm(partPath, { force: true });
      throw error;
    }
    await handle.close();
    await rename(partPath, finalPath);
    const file = stagedFileRecord(args, size, hash.digest('hex'));
    this.files.push(file);
    return file;
  }

  /**
   * Writes the manifest (the completion marker) and makes the whole folder durable. The manifest
   * itself goes through a temporary name, so a crash never leaves a half-written one.
   */
  async complete(manifest: Readonly<Record<string, unknown>>): Promise<void> {
    const finalPath = path.join(this.dir, MANIFEST_FILE);
    const partPath = `${finalPath}.part`;
    const handle = await open(partPath, 'wx', 0o600);
    try {
      await writeFully(handle, Buffer.from(`${JSON.stringify({ ...manifest, files: this.files }, null, 2)}\n`));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(partPath, finalPath);
    await fsyncDirectory(this.dir);
  }

  openRead(name: string): Readable {
    return createReadStream(path.join(this.dir, path.basename(name)));
  }

  readHead(name: string, maxBytes: number): string | undefined {
    let descriptor: number | undefined;
    try {
      descriptor = openSync(path.join(this.dir, path.basename(name)), 'r');
      const buffer = Buffer.alloc(maxBytes);
      return decodeHead(buffer.subarray(0, readSync(descriptor, buffer, 0, maxBytes, 0)));
    } catch {
      return undefined;
    } finally {
      if (descriptor !== undefined) closeSync(descriptor);
    }
  }

  async discard(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}

/**
 * Moves a completed incoming folder to `inbox/<relativePath>` and makes the move durable. The
 * target name was reserved by the job row's unique path; an existing non-empty folder there is
 * never overwritten (rename fails instead).
 */
export async function publishIncoming(args: { readonly dataRoot: string; readonly incomingDir: string; readonly relativePath: string }): Promise<string> {
  const target = areaPath(args.dataRoot, 'inbox', args.relativePath);
  const parent = path.dirname(target);
  await mkdir(parent, { recursive: true });
  await rename(args.incomingDir, target);
  await fsyncDirectory(parent);
  await fsyncDirectory(path.dirname(args.incomingDir));
  // The new folder's ancestors must be durable too; another process may have created them and
  // not fsynced them yet, so each process fsyncs every ancestor once before relying on it.
  await makeAncestorsDurable(parent, areaPath(args.dataRoot, 'inbox', ''));
  return target;
}

const durableDirectories = new Set<string>();
const MAX_REMEMBERED_DIRECTORIES = 50_000;

async function makeAncestorsDurable(dir: string, root: string): Promise<void> {
  const chain: string[] = [];
  for (let current = dir; current.startsWith(root) && !durableDirectories.has(current); current = path.dirname(current)) chain.push(current);
  for (const child of chain) await fsyncDirectory(path.dirname(child));
  if (durableDirectories.size > MAX_REMEMBERED_DIRECTORIES) durableDirectories.clear();
  for (const child of chain) durableDirectories.add(child);
}

/** FileHandle.write may write less than asked (a full disk): loop until all of it is written. */
async function writeFully(handle: FileHandle, chunk: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < chunk.byteLength) {
    const { bytesWritten } = await handle.write(chunk, offset, chunk.byteLength - offset);
    if (bytesWritten === 0) throw new IngestError('STORAGE_LOW', 'the disk accepted no more bytes');
    offset += bytesWritten;
  }
}

export async function fsyncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
