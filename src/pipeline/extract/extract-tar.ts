import { once } from 'node:events';
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { Parser, type ReadEntry } from 'tar';
import { ArchiveMeter, checkEntrySize } from './extract-budgets.js';
import { deliverEntry } from './extract-entry-stream.js';
import { EntryRegistry } from './extract-entry-registry.js';
import { archiveAborted, archiveCorrupt, toArchiveDecodeError } from './extract-errors.js';
import type { DeliveredEntry, FormatReaderArgs, ReadArchiveResult, SkipReason } from './extract-types.js';

/** zlib's default 16 KiB chunks make gunzip ~1.6× slower on this machine (stack notes). */
const GUNZIP_CHUNK_BYTES = 64 * 1024;
const FILE_READ_CHUNK_BYTES = 64 * 1024;

const REGULAR_FILE_TYPES = new Set(['File', 'OldFile', 'ContiguousFile']);
const DIRECTORY_TYPES = new Set(['Directory', 'GNUDumpDir']);
const REFUSED_TYPES: ReadonlyMap<string, SkipReason> = new Map([
  ['SymbolicLink', 'symlink'],
  ['Link', 'hardlink'],
  ['CharacterDevice', 'device'],
  ['BlockDevice', 'device'],
  ['FIFO', 'fifo'],
]);

/**
 * Reads a gzip-compressed tar with node-tar's Parser (headers, PAX and GNU long names) over our
 * own gunzip, so every decompressed byte is metered before the parser sees it. node-tar's own
 * safety (path stripping, link filtering, ratio guard) lives in `tar.x`, which we never use:
 * every header is judged here.
 */
export async function readTarGzEntries(args: FormatReaderArgs): Promise<ReadArchiveResult> {
  const { budgets } = args;
  const registry = new EntryRegistry(budgets, args.unsafeEntries);
  const meter = new ArchiveMeter(budgets);
  const delivered: DeliveredEntry[] = [];
  const failure = new AbortController();
  const fail = (error: unknown): void => {
    if (failure.signal.aborted) return;
    failure.abort(error);
    // Both, explicitly: pipeline() does not always carry a destroyed source on to gunzip.
    source.destroy();
    gunzip.destroy();
  };

  const source = createReadStream(args.archivePath, { highWaterMark: FILE_READ_CHUNK_BYTES });
  const gunzip = createGunzip({ chunkSize: GUNZIP_CHUNK_BYTES });
  // strict: every node-tar warning (bad checksum, truncation, not a tar) becomes an error event.
  const parser = new Parser({ strict: true, brotli: false, zstd: false, maxDecompressionRatio: Number.POSITIVE_INFINITY });
  let sawEndOfArchive = false;
  let inflatedFully = false;
  let handlers = Promise.resolve();
  const enqueue = (handler: () => Promise<void> | void): void => {
    handlers = handlers.then(handler).catch(fail);
  };

  const handleEntry = async (entry: ReadEntry): Promise<void> => {
    if (failure.signal.aborted) {
      entry.resume();
      return;
    }
    const refusedReason = REFUSED_TYPES.get(entry.type);
    if (DIRECTORY_TYPES.has(entry.type)) {
      registry.noteDirectory(entry.path);
    } else if (refusedReason !== undefined || !REGULAR_FILE_TYPES.has(entry.type)) {
      registry.skip(entry.path, refusedReason ?? 'unsupported-type');
    } else {
      const path = registry.admitFile(entry.path);
      if (path !== undefined) {
        checkEntrySize({ budgets, entryPath: path, bytes: entry.size });
        if (!registry.deliveryStopped) {
          const size = await deliverEntry({
            source: entry,
            path,
            declaredSize: entry.size,
            budgets,
            abortSignal: failure.signal,
            onEntry: args.onEntry,
          });
          delivered.push({ path, size });
          return;
        }
      }
    }
    entry.resume();
  };

  parser.on('entry', (entry: ReadEntry) => {
    try {
      registry.countEntry();
    } catch (error) {
      fail(error);
    }
    enqueue(() => handleEntry(entry));
  });
  // Entry types node-tar does not know (sparse, volume headers…) arrive here, already drained.
  parser.on('ignoredEntry', (entry: ReadEntry) => {
    enqueue(() => {
      if (!entry.meta) registry.countEntry();
      registry.skip(entry.path, 'unsupported-type');
    });
  });
  parser.on('eof', () => {
    sawEndOfArchive = true;
  });
  parser.on('error', (error: unknown) => fail(toArchiveDecodeError(error)));

  const onCallerAbort = (): void => fail(archiveAborted(args.signal?.reason));
  if (args.signal?.aborted) onCallerAbort();
  args.signal?.addEventListener('abort', onCallerAbort, { once: true });
  try {
    await pipeline(source, gunzip, async (inflated: AsyncIterable<Buffer>) => {
      // Failures are recorded here rather than thrown: pipeline() would otherwise report the
      // stream teardown that follows instead of the cause.
      try {
        for await (const chunk of inflated) {
          meter.addOutput(chunk.length, source.bytesRead);
          // After the end-of-archive blocks only padding may follow: count it, but keep it out
          // of the parser, which would otherwise buffer everything that comes after.
          if (sawEndOfArchive || failure.signal.aborted) continue;
          if (!parser.write(chunk)) await once(parser, 'drain', { signal: failure.signal });
        }
        const parserEnded = once(parser, 'end', { signal: failure.signal });
        parser.end();
        await parserEnded;
        inflatedFully = true;
      } catch (error) {
        fail(toArchiveDecodeError(error));
      }
    });
  } catch (error) {
    // gunzip ends its output at zero padding after the last member while the file still has
    // bytes; pipeline() reports that as an abort although everything was read.
    if (!inflatedFully) fail(toArchiveDecodeError(error));
  } finally {
    args.signal?.removeEventListener('abort', onCallerAbort);
  }
  await handlers;
  if (failure.signal.aborted) throw failure.signal.reason;
  if (!sawEndOfArchive) throw archiveCorrupt('the tar data ends without its end-of-archive marker');
  registry.finish();
  return { type: 'tar.gz', entries: delivered, skipped: registry.skipped };
}
