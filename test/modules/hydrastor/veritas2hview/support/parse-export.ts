import type { BpdbjobsRecord } from '../../../../../src/modules/hydrastor/veritas2hview/bpdbjobs-record.js';
import type { BpimagelistImage } from '../../../../../src/modules/hydrastor/veritas2hview/bpimagelist-image.js';
import { correlateStorage, type StorageCorrelation, type StoredGridMapping } from '../../../../../src/modules/hydrastor/veritas2hview/correlate.js';
import { basenameOfExportEntry, type ExportFileKind } from '../../../../../src/modules/hydrastor/veritas2hview/export-entry-kind.js';
import { parseBpdbjobs } from '../../../../../src/modules/hydrastor/veritas2hview/parse-bpdbjobs.js';
import { parseBpimagelist } from '../../../../../src/modules/hydrastor/veritas2hview/parse-bpimagelist.js';
import { parseDiskPools, type DiskPool } from '../../../../../src/modules/hydrastor/veritas2hview/parse-disk-pools.js';
import { parseDiskVolumes, type DiskVolume } from '../../../../../src/modules/hydrastor/veritas2hview/parse-disk-volumes.js';
import { parseHydrastorMap, type HydrastorMapEntry } from '../../../../../src/modules/hydrastor/veritas2hview/parse-hydrastor-map.js';
import type { ParseIssue } from '../../../../../src/modules/parse-issue.js';
import { parseManifest, type Veritas2HviewManifest } from '../../../../../src/modules/hydrastor/veritas2hview/parse-manifest.js';
import { parseStorageServers, type StorageServer } from '../../../../../src/modules/hydrastor/veritas2hview/parse-storage-servers.js';
import { parseStorageUnits, type StorageUnit } from '../../../../../src/modules/hydrastor/veritas2hview/parse-storage-units.js';
import { chunksOf, type ArchiveEntries } from './read-archive-entries.js';

/** Everything the parsers make of one export: what the module's parse step will hand to upsert. */
export interface ParsedExport {
  readonly kinds: ExportFileKind[];
  readonly ignoredEntries: string[];
  readonly manifest: Veritas2HviewManifest | null;
  readonly jobs: BpdbjobsRecord[];
  readonly images: BpimagelistImage[];
  readonly storageServers: StorageServer[];
  readonly diskPools: DiskPool[];
  readonly diskVolumes: DiskVolume[];
  readonly storageUnits: StorageUnit[];
  readonly mapEntries: HydrastorMapEntry[];
  readonly correlation: StorageCorrelation;
  readonly issues: ParseIssue[];
}

export interface ParseExportOptions {
  /** Bytes per chunk fed to the streaming parsers (small values exercise chunk boundaries). */
  readonly chunkBytes?: number;
  readonly storedMappings?: readonly StoredGridMapping[];
  readonly s3KeyGrid?: string | null;
}

/**
 * Routes archive entries by file name and runs every parser, the way the module will: manifest
 * first (its column order wins for bpdbjobs), streaming parsers fed in chunks.
 */
export async function parseExportEntries(entries: ArchiveEntries, options: ParseExportOptions = {}): Promise<ParsedExport> {
  const chunkBytes = options.chunkBytes ?? 64 * 1024;
  const byKind = new Map<ExportFileKind, Buffer>();
  const ignoredEntries: string[] = [];
  for (const [path, content] of entries) {
    const kind = basenameOfExportEntry(path);
    if (kind === null) ignoredEntries.push(path);
    else byKind.set(kind, content);
  }
  const text = (kind: ExportFileKind): string | null => byKind.get(kind)?.toString('utf8') ?? null;
  const issues: ParseIssue[] = [];

  const manifestText = text('manifest');
  const manifest = manifestText === null ? null : parseManifest(manifestText);

  const jobs: BpdbjobsRecord[] = [];
  const bpdbjobs = byKind.get('bpdbjobs');
  if (bpdbjobs !== undefined) {
    for await (const batch of parseBpdbjobs(chunksOf(bpdbjobs, chunkBytes), { columns: manifest?.bpdbjobsColumns })) {
      jobs.push(...batch.records);
      issues.push(...batch.issues);
    }
  }
  const images: BpimagelistImage[] = [];
  const bpimagelist = byKind.get('bpimagelist');
  if (bpimagelist !== undefined) {
    for await (const batch of parseBpimagelist(chunksOf(bpimagelist, chunkBytes))) {
      images.push(...batch.images);
      issues.push(...batch.issues);
    }
  }

  const collect = <T extends { readonly issues: ParseIssue[] }>(result: T): T => {
    issues.push(...result.issues);
    return result;
  };
  const storageServers = collect(parseStorageServers(text('storageServers') ?? '')).storageServers;
  const diskPools = collect(parseDiskPools(text('diskPools') ?? '')).diskPools;
  const diskVolumes = collect(parseDiskVolumes(text('diskVolumes') ?? '')).diskVolumes;
  const storageUnits = collect(parseStorageUnits(text('storageUnits') ?? '')).storageUnits;
  const mapText = text('hydrastorMap');
  const mapEntries = mapText === null ? [] : collect(parseHydrastorMap(mapText)).entries;

  const correlation = correlateStorage({
    storageUnits,
    diskPools,
    storageServers,
    diskVolumes,
    mapFile: mapEntries,
    storedMappings: options.storedMappings ?? [],
    s3KeyGrid: options.s3KeyGrid ?? null,
  });

  return {
    kinds: [...byKind.keys()].sort(),
    ignoredEntries,
    manifest,
    jobs,
    images,
    storageServers,
    diskPools,
    diskVolumes,
    storageUnits,
    mapEntries,
    correlation,
    issues,
  };
}
