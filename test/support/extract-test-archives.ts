/**
 * Builders for the archives the extract tests need: tar blocks by hand (with node-tar's Header and
 * Pax encoders) so hostile headers can be written, and zips by hand so central directory, local
 * headers and sizes can be made to disagree.
 */
import assert from 'node:assert/strict';
import { createWriteStream } from 'node:fs';
import { lstat, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip, crc32, deflateRawSync, gzipSync } from 'node:zlib';
import { Header, Pax, type ReadEntry } from 'tar';
import { IngestError } from '../../src/core/ingest-error.js';

type EntryTypeName = ReadEntry['type'];

const TAR_BLOCK_BYTES = 512;
const END_OF_ARCHIVE = Buffer.alloc(2 * TAR_BLOCK_BYTES);

export interface TarEntrySpec {
  readonly path: string;
  readonly type?: EntryTypeName;
  readonly body?: string | Buffer;
  readonly linkpath?: string;
}

/** One tar header (preceded by a PAX header when the path does not fit ustar). */
export function tarHeader(spec: Omit<TarEntrySpec, 'body'> & { readonly size: number }): Buffer {
  const data = {
    path: spec.path,
    type: spec.type ?? 'File',
    size: spec.size,
    mode: 0o644,
    uid: 0,
    gid: 0,
    mtime: new Date('2023-01-13T00:00:00Z'),
    ...(spec.linkpath === undefined ? {} : { linkpath: spec.linkpath }),
  };
  const block = Buffer.alloc(TAR_BLOCK_BYTES);
  const needPax = new Header(data).encode(block, 0);
  if (!needPax) return block;
  const pax = new Pax({ path: spec.path, ...(spec.linkpath === undefined ? {} : { linkpath: spec.linkpath }) }).encode();
  return Buffer.concat([pax, block]);
}

function padToBlock(body: Buffer): Buffer {
  const remainder = body.length % TAR_BLOCK_BYTES;
  return remainder === 0 ? body : Buffer.concat([body, Buffer.alloc(TAR_BLOCK_BYTES - remainder)]);
}

export function buildTar(entries: readonly TarEntrySpec[], options: { readonly endMarker?: boolean } = {}): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    const body = typeof entry.body === 'string' ? Buffer.from(entry.body) : (entry.body ?? Buffer.alloc(0));
    parts.push(tarHeader({ ...entry, size: body.length }), padToBlock(body));
  }
  if (options.endMarker !== false) parts.push(END_OF_ARCHIVE);
  return Buffer.concat(parts);
}

export function buildTarGz(entries: readonly TarEntrySpec[]): Buffer {
  return gzipSync(buildTar(entries));
}

/** Writes a .tar.gz holding one file of `size` zero bytes, streamed so memory stays flat. */
export async function writeZeroFilledTarGz(args: {
  readonly file: string;
  readonly entries: readonly { readonly path: string; readonly size: number }[];
}): Promise<void> {
  const chunk = Buffer.alloc(1024 * 1024);
  async function* blocks(): AsyncGenerator<Buffer> {
    for (const entry of args.entries) {
      yield tarHeader({ path: entry.path, size: entry.size });
      let left = entry.size;
      while (left > 0) {
        const piece = Math.min(left, chunk.length);
        yield chunk.subarray(0, piece);
        left -= piece;
      }
      const padding = (TAR_BLOCK_BYTES - (entry.size % TAR_BLOCK_BYTES)) % TAR_BLOCK_BYTES;
      if (padding > 0) yield Buffer.alloc(padding);
    }
    yield END_OF_ARCHIVE;
  }
  await pipeline(blocks, createGzip({ level: 1 }), createWriteStream(args.file));
}

export interface ZipEntrySpec {
  readonly name: string;
  readonly body?: string | Buffer;
  /** 0 stored, 8 deflate (default); anything else is written as is, unsupported. */
  readonly method?: number;
  /** Unix mode (type and permissions); makes the entry "made by" Unix. */
  readonly unixMode?: number;
  readonly flags?: number;
  /** Lies written into both headers. */
  readonly declaredUncompressedSize?: number;
  readonly crc32?: number;
  /** A different name in the local header than in the central directory. */
  readonly localName?: string;
  /** A central-directory-only entry pointing at the local header of entry N (overlap). */
  readonly sameLocalHeaderAs?: number;
}

const UTF8_NAME_FLAG = 0x0800;
const DOS_DATE_1980_01_01 = 0x21;

/** Builds a zip by hand: local headers and data, central directory, end of central directory. */
export function buildZip(entries: readonly ZipEntrySpec[], options: { readonly omitEndOfCentralDirectory?: boolean } = {}): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  const localOffsets: number[] = [];
  let offset = 0;
  for (const entry of entries) {
    const body = typeof entry.body === 'string' ? Buffer.from(entry.body) : (entry.body ?? Buffer.alloc(0));
    const method = entry.method ?? 8;
    const data = method === 8 ? deflateRawSync(body) : body;
    const name = Buffer.from(entry.name);
    const checksum = entry.crc32 ?? crc32(body);
    const uncompressedSize = entry.declaredUncompressedSize ?? body.length;
    const flags = entry.flags ?? UTF8_NAME_FLAG;
    let localOffset = offset;
    if (entry.sameLocalHeaderAs === undefined) {
      const localName = Buffer.from(entry.localName ?? entry.name);
      const local = Buffer.alloc(30);
      local.writeUInt32LE(0x04034b50, 0);
      local.writeUInt16LE(20, 4);
      local.writeUInt16LE(flags, 6);
      local.writeUInt16LE(method, 8);
      local.writeUInt16LE(0, 10);
      local.writeUInt16LE(DOS_DATE_1980_01_01, 12);
      local.writeUInt32LE(checksum >>> 0, 14);
      local.writeUInt32LE(data.length, 18);
      local.writeUInt32LE(uncompressedSize, 22);
      local.writeUInt16LE(localName.length, 26);
      local.writeUInt16LE(0, 28);
      locals.push(local, localName, data);
      localOffsets.push(offset);
      offset += local.length + localName.length + data.length;
    } else {
      localOffset = localOffsets[entry.sameLocalHeaderAs] ?? 0;
      localOffsets.push(localOffset);
    }
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(entry.unixMode === undefined ? 20 : (3 << 8) | 20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(flags, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt16LE(0, 12);
    central.writeUInt16LE(DOS_DATE_1980_01_01, 14);
    central.writeUInt32LE(checksum >>> 0, 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(uncompressedSize, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(entry.unixMode === undefined ? 0 : (entry.unixMode << 16) >>> 0, 38);
    central.writeUInt32LE(localOffset, 42);
    centrals.push(central, name);
  }
  const centralDirectory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(centralDirectory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, centralDirectory, ...(options.omitEndOfCentralDirectory === true ? [] : [end])]);
}

/** Every path under `root` with its type and size, to prove nothing appeared or changed. */
export async function snapshotTree(root: string): Promise<string[]> {
  const lines: string[] = [];
  for (const name of await readdir(root, { recursive: true })) {
    const path = join(root, name);
    const stats = await lstat(path);
    const type = stats.isSymbolicLink() ? 'link' : stats.isDirectory() ? 'dir' : stats.isFile() ? 'file' : 'other';
    lines.push(`${relative(root, path)} ${type} ${stats.isFile() ? stats.size : ''}`);
  }
  return lines.sort();
}

const sandboxes: string[] = [];

export async function removeSandboxes(): Promise<void> {
  for (const root of sandboxes.splice(0)) await rm(root, { recursive: true, force: true });
}

/**
 * A scratch tree shaped like the service's: the destination sits a few levels down, so that a
 * `../../x` escape would land inside `root`, where the snapshot sees it.
 */
export async function makeSandbox(): Promise<{ readonly root: string; readonly destDir: string; readonly archiveDir: string }> {
  const root = await mkdtemp(join(tmpdir(), 'extract-test-'));
  sandboxes.push(root);
  const destDir = join(root, 'tmp', 'job', 'dest');
  const archiveDir = join(root, 'archives');
  await mkdir(destDir, { recursive: true });
  await mkdir(archiveDir);
  return { root, destDir, archiveDir };
}

/** Awaits a promise that must reject with an IngestError of `code`, and returns that error. */
export async function rejectsWithCode(promise: Promise<unknown>, code: string): Promise<IngestError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof IngestError, `expected an IngestError ${code}, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    assert.equal(error.transient, code === 'ARCHIVE_ABORTED', 'archive errors are not transient');
    assert.equal(error.expose, code !== 'ARCHIVE_DESTINATION_CONFLICT', 'archive errors are safe to show');
    return error;
  }
  assert.fail(`expected a rejection with ${code}`);
}

/** Runs `work` while sampling RSS every 5 ms; returns the peak growth over the starting RSS. */
export async function peakRssGrowth(work: () => Promise<unknown>): Promise<number> {
  const before = process.memoryUsage().rss;
  let peak = before;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 5);
  try {
    await work().catch(() => undefined);
  } finally {
    clearInterval(timer);
  }
  return Math.max(peak, process.memoryUsage().rss) - before;
}
