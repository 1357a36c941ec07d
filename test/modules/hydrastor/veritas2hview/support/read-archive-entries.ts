import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { Parser, type ReadEntry } from 'tar';
import yauzl from 'yauzl';

/** Entries of a small test archive, by their path inside it (directories left out). */
export type ArchiveEntries = Map<string, Buffer>;

export async function readTarGzEntries(path: string | URL): Promise<ArchiveEntries> {
  const entries: ArchiveEntries = new Map();
  const reads: Promise<void>[] = [];
  const parser = new Parser({
    strict: true,
    onReadEntry: (entry: ReadEntry) => {
      if (entry.type !== 'File') {
        entry.resume();
        return;
      }
      const chunks: Buffer[] = [];
      reads.push(
        new Promise((resolve, reject) => {
          entry.on('data', (chunk: Buffer) => chunks.push(chunk));
          entry.on('end', () => {
            entries.set(entry.path, Buffer.concat(chunks));
            resolve();
          });
          entry.on('error', reject);
        }),
      );
    },
  });
  await pipeline(createReadStream(path), parser);
  await Promise.all(reads);
  return entries;
}

export async function readZipEntries(path: string | URL): Promise<ArchiveEntries> {
  const filePath = path instanceof URL ? path.pathname : path;
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) => {
    yauzl.open(filePath, { lazyEntries: true, validateEntrySizes: true }, (error, opened) => (error ? reject(error) : resolve(opened)));
  });
  const entries: ArchiveEntries = new Map();
  try {
    await new Promise<void>((resolve, reject) => {
      zip.on('entry', (entry: yauzl.Entry) => {
        if (entry.fileName.endsWith('/')) {
          zip.readEntry();
          return;
        }
        zip.openReadStream(entry, (error, stream) => {
          if (error) return reject(error);
          const chunks: Buffer[] = [];
          stream.on('data', (chunk: Buffer) => chunks.push(chunk));
          stream.on('error', reject);
          stream.on('end', () => {
            entries.set(entry.fileName, Buffer.concat(chunks));
            zip.readEntry();
          });
        });
      });
      zip.on('end', resolve);
      zip.on('error', reject);
      zip.readEntry();
    });
  } finally {
    zip.close();
  }
  return entries;
}

/** Splits a buffer into chunks of `size` bytes, as a stream would deliver it. */
export function* chunksOf(buffer: Buffer, size: number): Generator<Buffer, void, undefined> {
  for (let offset = 0; offset < buffer.length; offset += size) yield buffer.subarray(offset, offset + size);
}
