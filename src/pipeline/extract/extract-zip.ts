import type { Readable } from 'node:stream';
import { crc32 } from 'node:zlib';
import yauzl from 'yauzl';
import type { Entry, LocalFileHeader, ZipFile } from 'yauzl';
import type { ArchiveBudgets } from './archive-budgets.js';
import { ArchiveMeter, checkEntryCount, checkEntrySize, checkTotalAndRatio } from './extract-budgets.js';
import { deliverEntry } from './extract-entry-stream.js';
import { EntryRegistry } from './extract-entry-registry.js';
import { archiveAborted, archiveCorrupt, describeEntryName, toArchiveDecodeError } from './extract-errors.js';
import type { DeliveredEntry, FormatReaderArgs, ReadArchiveResult, SkipReason } from './extract-types.js';

const COMPRESSION_STORED = 0;
const COMPRESSION_DEFLATE = 8;
const LOCAL_HEADER_FIXED_BYTES = 30;
const FLAG_DATA_DESCRIPTOR = 0x08;
const ZIP64_SIZE_MARKER = 0xffffffff;
const HOST_UNIX = 3;
const MSDOS_DIRECTORY_ATTRIBUTE = 0x10;
const S_IFMT = 0o170000;
const FILE_TYPE_REASONS: ReadonlyMap<number, SkipReason | 'directory'> = new Map([
  [0o120000, 'symlink'],
  [0o020000, 'device'],
  [0o060000, 'device'],
  [0o010000, 'fifo'],
  [0o140000, 'socket'],
  [0o040000, 'directory'],
]);

interface PlannedEntry {
  readonly entry: Entry;
  readonly path: string;
}

interface ByteRange {
  readonly name: string;
  readonly start: number;
  readonly end: number;
}

/**
 * Reads a zip with yauzl from its central directory: every entry is judged and every budget is
 * checked against the declared sizes before a single byte is inflated; then the planned files are
 * streamed, with yauzl holding each to its declared size and us checking its CRC-32.
 */
export async function readZipEntries(args: FormatReaderArgs): Promise<ReadArchiveResult> {
  const { budgets } = args;
  const registry = new EntryRegistry(budgets, args.unsafeEntries);
  const failure = new AbortController();
  const onCallerAbort = (): void => failure.abort(archiveAborted(args.signal?.reason));
  if (args.signal?.aborted) onCallerAbort();
  args.signal?.addEventListener('abort', onCallerAbort, { once: true });

  let zipfile: ZipFile;
  try {
    // decodeStrings off: yauzl would stop at the first unsafe name; we want to report them all.
    zipfile = await yauzl.openPromise(args.archivePath, {
      lazyEntries: true,
      autoClose: false,
      decodeStrings: false,
      validateEntrySizes: true,
      strictFileNames: true,
    });
  } catch (error) {
    args.signal?.removeEventListener('abort', onCallerAbort);
    throw toArchiveDecodeError(error);
  }
  try {
    checkEntryCount(budgets, zipfile.entryCount);
    const planned = await planEntries({ zipfile, registry, budgets, failureSignal: failure.signal });
    registry.finish();
    const meter = new ArchiveMeter(budgets);
    const delivered: DeliveredEntry[] = [];
    for (const { entry, path } of planned) {
      failure.signal.throwIfAborted();
      const header = await zipfile.readLocalFileHeaderPromise(entry).catch((error: unknown) => {
        throw toArchiveDecodeError(error);
      });
      const mismatch = describeLocalHeaderMismatch(entry, header);
      if (mismatch !== undefined) {
        throw archiveCorrupt(`the local header of ${describeEntryName(path)} disagrees with the central directory (${mismatch})`);
      }
      const source = await openEntryData({ zipfile, entry, fileDataStart: header.fileDataStart });
      let checksum = 0;
      const size = await deliverEntry({
        source,
        path,
        declaredSize: entry.uncompressedSize,
        budgets,
        abortSignal: failure.signal,
        onChunk: (chunk) => {
          checksum = crc32(chunk, checksum);
          meter.addOutput(chunk.length, zipfile.fileSize);
        },
        beforeEnd: () => {
          if (checksum >>> 0 !== entry.crc32 >>> 0) throw archiveCorrupt(`CRC-32 mismatch in ${describeEntryName(path)}`);
        },
        onEntry: args.onEntry,
      }).finally(() => {
        // After a failure the stream is left paused mid-entry; release its file range and inflater.
        if (!source.readableEnded) source.destroy();
      });
      delivered.push({ path, size });
    }
    return { type: 'zip', entries: delivered, skipped: registry.skipped };
  } finally {
    args.signal?.removeEventListener('abort', onCallerAbort);
    zipfile.close();
  }
}

/**
 * yauzl 3.4's openReadStreamLowLevelPromise calls openReadStream with the wrong arguments, so
 * the callback form is wrapped here. Reading from the local header's data offset avoids yauzl
 * reading that header a second time.
 */
function openEntryData(args: { readonly zipfile: ZipFile; readonly entry: Entry; readonly fileDataStart: number }): Promise<Readable> {
  const { zipfile, entry, fileDataStart } = args;
  return new Promise((resolve, reject) => {
    zipfile.openReadStreamLowLevel(
      fileDataStart,
      entry.compressedSize,
      0,
      entry.compressedSize,
      entry.compressionMethod === COMPRESSION_DEFLATE,
      entry.uncompressedSize,
      (error, stream) => (error ? reject(toArchiveDecodeError(error)) : resolve(stream)),
    );
  });
}

async function planEntries(args: {
  readonly zipfile: ZipFile;
  readonly registry: EntryRegistry;
  readonly budgets: ArchiveBudgets;
  readonly failureSignal: AbortSignal;
}): Promise<PlannedEntry[]> {
  const { zipfile, registry, budgets } = args;
  const planned: PlannedEntry[] = [];
  const ranges: ByteRange[] = [];
  let declaredTotalBytes = 0;
  try {
    for await (const entry of zipfile.eachEntry()) {
      args.failureSignal.throwIfAborted();
      registry.countEntry();
      const name = yauzl.getFileNameLowLevel(entry.generalPurposeBitFlag, entry.fileNameRaw, entry.extraFields, true);
      const start = entry.relativeOffsetOfLocalHeader;
      ranges.push({ name, start, end: start + LOCAL_HEADER_FIXED_BYTES + entry.fileNameLength + entry.compressedSize });
      const kind = classifyEntry(entry, name);
      if (kind === 'directory') {
        registry.noteDirectory(name);
        continue;
      }
      if (kind !== 'file') {
        registry.skip(name, kind);
        continue;
      }
      const path = registry.admitFile(name);
      if (path === undefined) continue;
      checkEntrySize({ budgets, entryPath: path, bytes: entry.uncompressedSize });
      declaredTotalBytes += entry.uncompressedSize;
      checkTotalAndRatio({ budgets, outputBytes: declaredTotalBytes, compressedBytes: zipfile.fileSize });
      planned.push({ entry, path });
    }
  } catch (error) {
    throw toArchiveDecodeError(error);
  }
  const overlap = findOverlap(ranges);
  if (overlap !== undefined) {
    throw archiveCorrupt(
      `entries ${describeEntryName(overlap[0].name)} and ${describeEntryName(overlap[1].name)} overlap ` +
        '(a zip-bomb construction; a sound zip never shares bytes between entries)',
    );
  }
  return planned;
}

function classifyEntry(entry: Entry, name: string): 'file' | 'directory' | SkipReason {
  const madeOnUnix = entry.versionMadeBy >>> 8 === HOST_UNIX;
  const fileType = madeOnUnix ? (entry.externalFileAttributes >>> 16) & S_IFMT : 0;
  const typeReason = FILE_TYPE_REASONS.get(fileType);
  if (typeReason !== undefined) return typeReason;
  const msdosDirectory = !madeOnUnix && (entry.externalFileAttributes & MSDOS_DIRECTORY_ATTRIBUTE) !== 0;
  if (name.endsWith('/') || name.endsWith('\\') || msdosDirectory) return 'directory';
  if (entry.isEncrypted()) return 'encrypted';
  if (entry.compressionMethod !== COMPRESSION_STORED && entry.compressionMethod !== COMPRESSION_DEFLATE) {
    return 'unsupported-compression';
  }
  return 'file';
}

/** Sorted by start, each entry must end before the next begins (Info-ZIP CVE-2019-13232). */
function findOverlap(ranges: ByteRange[]): [ByteRange, ByteRange] | undefined {
  const sorted = [...ranges].sort((a, b) => a.start - b.start);
  for (let index = 1; index < sorted.length; index += 1) {
    const previous = sorted[index - 1];
    const current = sorted[index];
    if (previous !== undefined && current !== undefined && current.start < previous.end) return [previous, current];
  }
  return undefined;
}

/** A reader that trusts the local header would see different content than one that trusts the central directory. */
function describeLocalHeaderMismatch(entry: Entry, local: LocalFileHeader): string | undefined {
  if (!local.fileName.equals(entry.fileNameRaw)) return 'file name';
  if (local.compressionMethod !== entry.compressionMethod) return 'compression method';
  if ((local.generalPurposeBitFlag & FLAG_DATA_DESCRIPTOR) !== 0) return undefined;
  if (local.crc32 >>> 0 !== entry.crc32 >>> 0) return 'CRC-32';
  if (local.compressedSize !== ZIP64_SIZE_MARKER && local.compressedSize !== entry.compressedSize) return 'compressed size';
  if (local.uncompressedSize !== ZIP64_SIZE_MARKER && local.uncompressedSize !== entry.uncompressedSize) return 'uncompressed size';
  return undefined;
}
