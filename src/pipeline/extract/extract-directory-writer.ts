import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, mkdir, open, rm } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ArchiveEntry } from './extract-types.js';
import { IngestError } from '../../core/ingest-error.js';

/**
 * O_EXCL never reuses an existing file; O_NOFOLLOW refuses a symlink planted at the final
 * component. Parents are created one segment at a time and checked with lstat, so no symlink in
 * the destination is ever followed either.
 */
const CREATE_FILE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
const FILE_MODE = 0o600;
const DIRECTORY_MODE = 0o700;

export interface ExtractedFile {
  /** Normalized relative POSIX path, as delivered by the reader. */
  readonly path: string;
  readonly size: number;
  readonly sha256: string;
}

/**
 * Writes entries under one destination directory and remembers everything it created, so a
 * failed extraction can remove exactly that (and nothing the caller put there).
 */
export class DirectoryWriter {
  private readonly created: string[] = [];
  private readonly knownDirectories = new Set<string>();

  constructor(private readonly destDir: string) {}

  async writeFile(entry: ArchiveEntry): Promise<ExtractedFile> {
    const segments = entry.path.split('/');
    const fileName = segments.pop();
    let directory = this.destDir;
    let relative = '';
    for (const segment of segments) {
      relative = relative === '' ? segment : `${relative}/${segment}`;
      directory = join(directory, segment);
      if (this.knownDirectories.has(relative)) continue;
      await this.makeDirectory(directory, relative);
      this.knownDirectories.add(relative);
    }
    const target = join(directory, fileName ?? '');
    // The reader only delivers normalized paths; this guards against a future change breaking that.
    if (fileName === undefined || fileName === '' || !target.startsWith(this.destDir + sep)) {
      throw new IngestError('INTERNAL', `refusing to write outside the extraction directory: ${JSON.stringify(entry.path)}`);
    }

    const handle = await open(target, CREATE_FILE_FLAGS, FILE_MODE).catch((error: unknown) => {
      throw destinationError(error, entry.path);
    });
    this.created.push(target);
    const hash = createHash('sha256');
    let size = 0;
    try {
      await pipeline(
        entry.stream,
        new Transform({
          transform(chunk: Buffer, _encoding, callback) {
            hash.update(chunk);
            size += chunk.length;
            callback(null, chunk);
          },
        }),
        handle.createWriteStream(),
      );
    } finally {
      await handle.close().catch(() => undefined);
    }
    return { path: entry.path, size, sha256: hash.digest('hex') };
  }

  /** Removes what this writer created, newest first; the destination directory itself stays. */
  async removeWritten(): Promise<void> {
    for (const path of this.created.reverse()) {
      await rm(path, { recursive: true, force: true }).catch(() => undefined);
    }
    this.created.length = 0;
  }

  private async makeDirectory(directory: string, relative: string): Promise<void> {
    try {
      await mkdir(directory, { mode: DIRECTORY_MODE });
      this.created.push(directory);
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'EEXIST') throw error;
      const existing = await lstat(directory);
      if (!existing.isDirectory()) throw destinationError(error, relative);
    }
  }
}

function destinationError(error: unknown, relativePath: string): unknown {
  const code = (error as { code?: unknown }).code;
  if (code !== 'EEXIST' && code !== 'ELOOP' && code !== 'ENOTDIR') return error;
  return new IngestError(
    'ARCHIVE_DESTINATION_CONFLICT',
    `cannot extract ${JSON.stringify(relativePath)}: something already exists at that path in the extraction directory`,
    { cause: error },
  );
}
