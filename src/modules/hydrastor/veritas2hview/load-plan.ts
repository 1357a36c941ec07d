import { createHash } from 'node:crypto';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { IngestError } from '../../../core/ingest-error.js';
import type { StagedFile } from '../../../core/staged-file.js';
import type { ModuleContext, ParseResult } from '../../types.js';
import { EXPORT_FILES, missingRequiredExportFiles, type ExportFileKind } from './export-entry-kind.js';
import { newestJobTime } from './newest-job-time.js';
import { parseBpdbjobs } from './parse-bpdbjobs.js';
import { parseDiskPools, type DiskPool } from './parse-disk-pools.js';
import { parseDiskVolumes, type DiskVolume } from './parse-disk-volumes.js';
import { parseHydrastorMap, type HydrastorMapEntry } from './parse-hydrastor-map.js';
import type { ParseIssue } from '../../parse-issue.js';
import { MAX_LISTED_ISSUES } from './max-listed-issues.js';
import { checkManifestDigest, expectedSha256, parseManifest, type Veritas2HviewManifest } from './parse-manifest.js';
import { parseStorageServers, type StorageServer } from './parse-storage-servers.js';
import { parseStorageUnits, type StorageUnit } from './parse-storage-units.js';
import { parseResult } from '../../parse-result.js';
import { readExportArchive } from './read-export-archive.js';
import { TailBytes } from './tail-bytes.js';
import { createChunkDecoder, decodeText, detectTextEncoding } from './text-encoding.js';

/** The files streamed in the second pass; every other export file is small and read whole. */
const LARGE_KINDS: ReadonlySet<ExportFileKind> = new Set(['bpdbjobs', 'bpimagelist']);
/** A listing, the map or the manifest larger than this is not what the export tool writes. */
export const MAX_SMALL_FILE_BYTES = 64 * 1024 * 1024;
/**
 * Enough of bpdbjobs (some hundred jobs at each end) to read the first job's master server and
 * the newest job times when there is no manifest.
 */
const BPDBJOBS_HEAD_BYTES = 64 * 1024;
const BPDBJOBS_TAIL_BYTES = 64 * 1024;

export interface ExportFileFacts {
  readonly kind: ExportFileKind;
  /** Base name, so the same export as .zip and as .tar.gz (with a top-level folder) compares equal. */
  readonly name: string;
  readonly bytes: number;
  readonly sha256: string;
}

export interface LargeFileHandlers {
  readonly signal: AbortSignal;
  readonly bpdbjobs: (source: Readable) => Promise<void>;
  readonly bpimagelist: (source: Readable) => Promise<void>;
}

/**
 * What parse hands to upsert: everything small already parsed, and the large files as a second
 * streaming pass over the archive that upsert runs inside its transaction (COPY needs it).
 */
export interface ExportPlan {
  readonly manifest: Veritas2HviewManifest | null;
  readonly masterServer: string;
  readonly files: readonly ExportFileFacts[];
  /** Identity of the export's content, whatever archive format carried it. */
  readonly contentSha256: string;
  readonly storageServers: readonly StorageServer[];
  readonly diskPools: readonly DiskPool[];
  readonly diskVolumes: readonly DiskVolume[];
  readonly storageUnits: readonly StorageUnit[];
  readonly mapEntries: readonly HydrastorMapEntry[];
  /** The issues of this first pass (also in the parse result's log); the export's row keeps the first ones. */
  readonly issues: readonly ParseIssue[];
  /** Without a manifest: the newest job time at either end of bpdbjobs (newest-job-time.ts), else null. */
  readonly newestJobTime: Date | null;
  readonly hasImages: boolean;
  streamLargeFiles(handlers: LargeFileHandlers): Promise<void>;
}

interface ReadFile extends ExportFileFacts {
  readonly path: string;
  /** Whole text of a small file; the first bytes of bpdbjobs; empty otherwise. */
  readonly text: string;
  /** The last bytes of bpdbjobs; empty otherwise. */
  readonly tail: string;
}

/**
 * First pass (the module's parse): reads the archive once, keeping the small files (manifest,
 * listings, map) and hashing the large ones while they drain, then checks the export before
 * any database work: required files present, manifest valid, every SHA-256 the manifest gives
 * matches. Memory holds the small files and one chunk of a large one.
 *
 * Why two passes: entries arrive in archive order, and bpdbjobs may come before the manifest
 * that says how to read its columns. Reading the archive twice costs one more inflate (about
 * 3 s per GB on one core, several times faster than the database load it precedes) and needs no
 * scratch files; the alternative, spooling bpdbjobs to disk until the manifest shows up, writes
 * gigabytes for the same result.
 */
export async function loadExportPlan(context: ModuleContext): Promise<ParseResult<ExportPlan>> {
  const archivePath = path.join(context.workDir, archiveFileOf(context.files).name);
  const read = new Map<ExportFileKind, ReadFile>();
  const issues: ParseIssue[] = [];

  const { readArchiveEntries } = context;
  await readExportArchive({
    readArchiveEntries,
    archivePath,
    signal: context.signal,
    onEntry: async ({ kind, entry }) => {
      if (kind === null) {
        if (issues.length < MAX_LISTED_ISSUES) issues.push({ file: entry.path, line: null, severity: 'warning', message: 'not a file of the export, ignored' });
        return;
      }
      const earlier = read.get(kind);
      if (earlier !== undefined) {
        throw new IngestError('EXPORT_FILE_TWICE', `the archive holds ${EXPORT_FILES[kind].fileName} twice (${earlier.path} and ${entry.path})`, {
          details: { file: EXPORT_FILES[kind].fileName, paths: [earlier.path, entry.path] },
        });
      }
      read.set(kind, await readEntry({ kind, path: entry.path, stream: entry.stream }));
    },
  });

  const missing = missingRequiredExportFiles(new Set(read.keys()));
  if (missing.length > 0) {
    const names = missing.map((kind) => EXPORT_FILES[kind].fileName);
    throw new IngestError('EXPORT_FILE_MISSING', `the archive has no ${names.join(', ')} (required)`, { details: { missing: names } });
  }
  const manifestFile = read.get('manifest');
  const manifest = manifestFile === undefined ? null : parseManifest(manifestFile.text);
  if (manifest !== null) checkDigests(manifest, read);

  const text = (kind: ExportFileKind): string => read.get(kind)?.text ?? '';
  const storageServers = parseStorageServers(text('storageServers'));
  const diskPools = parseDiskPools(text('diskPools'));
  const diskVolumes = parseDiskVolumes(text('diskVolumes'));
  const storageUnits = parseStorageUnits(text('storageUnits'));
  const map = parseHydrastorMap(text('hydrastorMap'));
  issues.push(...storageServers.issues, ...diskPools.issues, ...diskVolumes.issues, ...storageUnits.issues, ...map.issues);

  const files = [...read.values()].map(({ kind, name, bytes, sha256 }) => ({ kind, name, bytes, sha256 }));
  const bpdbjobsPath = (read.get('bpdbjobs') as ReadFile).path;
  const bpimagelistPath = read.get('bpimagelist')?.path;
  const columns = manifest?.bpdbjobsColumns;
  const plan: ExportPlan = {
    manifest,
    masterServer: manifest?.masterServer ?? (await masterServerOfFirstJob(text('bpdbjobs'), columns)),
    files,
    contentSha256: contentDigest(files),
    storageServers: storageServers.storageServers,
    diskPools: diskPools.diskPools,
    diskVolumes: diskVolumes.diskVolumes,
    storageUnits: storageUnits.storageUnits,
    mapEntries: map.entries,
    issues,
    newestJobTime: manifest === null ? await newestJobTime({ head: text('bpdbjobs'), tail: read.get('bpdbjobs')?.tail ?? '', columns }) : null,
    hasImages: bpimagelistPath !== undefined,
    async streamLargeFiles(handlers) {
      await readExportArchive({
        readArchiveEntries,
        archivePath,
        signal: handlers.signal,
        onEntry: async ({ entry }) => {
          if (entry.path === bpdbjobsPath) await handlers.bpdbjobs(entry.stream);
          else if (entry.path === bpimagelistPath) await handlers.bpimagelist(entry.stream);
        },
      });
    },
  };
  return parseResult(plan, issues);
}

/** The uploaded archive: the staged object (S3, API upload), or the only file there is. */
function archiveFileOf(files: readonly StagedFile[]): StagedFile {
  const file = files.find((candidate) => candidate.role === 'object') ?? (files.length === 1 ? files[0] : undefined);
  if (file === undefined) {
    throw new IngestError('EXPORT_ARCHIVE_MISSING', `expected one uploaded archive (role "object"), found ${files.length} staged file(s)`);
  }
  return file;
}

async function readEntry(args: { readonly kind: ExportFileKind; readonly path: string; readonly stream: Readable }): Promise<ReadFile> {
  const large = LARGE_KINDS.has(args.kind);
  const keepBytes = args.kind === 'bpdbjobs' ? BPDBJOBS_HEAD_BYTES : large ? 0 : MAX_SMALL_FILE_BYTES;
  const hash = createHash('sha256');
  const kept: Buffer[] = [];
  const tail = args.kind === 'bpdbjobs' ? new TailBytes(BPDBJOBS_TAIL_BYTES) : null;
  let keptBytes = 0;
  let bytes = 0;
  for await (const chunk of args.stream as AsyncIterable<Buffer>) {
    hash.update(chunk);
    bytes += chunk.length;
    if (!large && bytes > MAX_SMALL_FILE_BYTES) {
      throw new IngestError('EXPORT_FILE_TOO_LARGE', `${args.path} is larger than ${MAX_SMALL_FILE_BYTES} bytes; the export tool never writes it that large`, {
        details: { file: args.path, limitBytes: MAX_SMALL_FILE_BYTES },
      });
    }
    tail?.push(chunk);
    if (keptBytes < keepBytes) {
      const part = chunk.subarray(0, keepBytes - keptBytes);
      kept.push(large ? Buffer.from(part) : part);
      keptBytes += part.length;
    }
  }
  const head = Buffer.concat(kept);
  return {
    kind: args.kind,
    name: EXPORT_FILES[args.kind].fileName,
    path: args.path,
    bytes,
    sha256: hash.digest('hex'),
    text: decodeText(head),
    // In the head's encoding: a UTF-16 file's tail has no byte-order mark of its own.
    tail: tail === null ? '' : decodeTail(head, tail.bytes()),
  };
}

/** Fails on the first file whose digest differs, and on a file the manifest vouches for but the archive lacks. */
function checkDigests(manifest: Veritas2HviewManifest, read: ReadonlyMap<ExportFileKind, ReadFile>): void {
  for (const file of read.values()) {
    if (file.kind === 'manifest') continue;
    const mismatch = checkManifestDigest({ manifest, fileName: file.name, actualSha256: file.sha256 });
    if (mismatch !== null) throw mismatch;
  }
  for (const [kind, { fileName }] of Object.entries(EXPORT_FILES) as [ExportFileKind, { fileName: string }][]) {
    if (kind === 'manifest' || read.has(kind) || expectedSha256(manifest, fileName) === null) continue;
    throw new IngestError('EXPORT_FILE_MISSING', `manifest.json lists ${fileName} with a SHA-256, but the archive does not contain it (incomplete upload?)`, {
      details: { missing: [fileName] },
    });
  }
}

/** Without a manifest, the master server is the one the jobs name (bpdbjobs runs on it). */
async function masterServerOfFirstJob(head: string, columns: readonly string[] | undefined): Promise<string> {
  const lastNewline = head.lastIndexOf('\n');
  const completeLines = lastNewline === -1 ? head : head.slice(0, lastNewline + 1);
  for await (const batch of parseBpdbjobs([completeLines], { columns })) {
    const named = batch.records.find((record) => record.masterServer !== null);
    if (named?.masterServer != null) return named.masterServer;
  }
  throw new IngestError(
    'EXPORT_MASTER_UNKNOWN',
    'no manifest.json and the first jobs of bpdbjobs_most_columns.csv name no master server: cannot tell whose jobs these are',
  );
}

function contentDigest(files: readonly ExportFileFacts[]): string {
  const lines = files.map((file) => `${file.kind}:${file.sha256}`).sort();
  return createHash('sha256').update(lines.join('\n')).digest('hex');
}

function decodeTail(head: Uint8Array, tail: Uint8Array): string {
  const decoder = createChunkDecoder(detectTextEncoding(head));
  return decoder.write(tail) + decoder.end();
}
