import { EXPORT_FILES } from './export-entry-kind.js';
import type { DiskPool } from './parse-disk-pools.js';
import type { DiskVolume } from './parse-disk-volumes.js';
import type { HydrastorMapEntry } from './parse-hydrastor-map.js';
import type { ParseIssue } from '../../parse-issue.js';
import type { StorageServer } from './parse-storage-servers.js';
import type { StorageUnit } from './parse-storage-units.js';
import { hostKey } from './storage-values.js';

/** The `file` of issues about the correlation as a whole rather than a line of one listing. */
export const CORRELATION_ISSUE_SOURCE = 'storage correlation';

/** How a storage server was tied to a grid, best first (formats spec §3.4). */
export const GRID_LINK_METHODS = ['map_file', 'database', 's3_key'] as const;
export type GridLinkMethod = (typeof GRID_LINK_METHODS)[number];

/** A storage server → grid mapping kept in the database (settable through the API). */
export interface StoredGridMapping {
  readonly storageServer: string;
  readonly gridSerial: string;
  readonly gridName?: string | null;
}

export interface GridLink {
  /** Null only for `s3_key`: the key names the grid, not its serial; the upsert looks it up by name. */
  readonly gridSerial: string | null;
  readonly gridName: string | null;
  readonly method: GridLinkMethod;
}

/**
 * Where a chain ends: `linked` to a grid; `not_hydrastor` (another disk type, or a storage unit
 * without a disk pool); `no_grid_link` (HYDRAstor, but no method names its grid); or a name the
 * listings do not define (`unknown_disk_pool`, `unknown_storage_server`, a listing is missing).
 */
export type LinkOutcome = 'linked' | 'not_hydrastor' | 'no_grid_link' | 'unknown_disk_pool' | 'unknown_storage_server';

export interface StorageServerResolution {
  readonly storageServer: string;
  readonly serverType: string | null;
  readonly isHydrastor: boolean;
  readonly grid: GridLink | null;
  readonly outcome: LinkOutcome;
}

export interface StorageUnitResolution {
  readonly storageUnit: string;
  readonly diskPool: string | null;
  readonly storageServer: string | null;
  readonly isHydrastor: boolean;
  readonly grid: GridLink | null;
  readonly outcome: LinkOutcome;
}

export interface DiskVolumeResolution {
  /** The volume name: for HYDRAstor, an OST LSU of the grid. */
  readonly lsu: string;
  readonly diskMediaId: string | null;
  readonly diskPool: string | null;
  readonly storageServer: string | null;
  readonly isHydrastor: boolean;
  readonly grid: GridLink | null;
  readonly outcome: LinkOutcome;
}

export interface StorageCorrelation {
  /** By storage unit label (what jobs carry in `stunit`). */
  readonly storageUnits: ReadonlyMap<string, StorageUnitResolution>;
  /** By lower-cased host name. */
  readonly storageServers: ReadonlyMap<string, StorageServerResolution>;
  /** By Disk Media ID (what `bpimagelist` FRAG lines carry); volumes without one are left out. */
  readonly diskVolumesByMediaId: ReadonlyMap<string, DiskVolumeResolution>;
  readonly diskVolumes: readonly DiskVolumeResolution[];
  readonly issues: ParseIssue[];
}

export interface CorrelateStorageArgs {
  readonly storageUnits: readonly StorageUnit[];
  readonly diskPools: readonly DiskPool[];
  readonly storageServers: readonly StorageServer[];
  readonly diskVolumes: readonly DiskVolume[];
  /** Entries of `hydrastor_map.csv`; empty when the export has none. */
  readonly mapFile: readonly HydrastorMapEntry[];
  /** The database's mappings for this customer. */
  readonly storedMappings: readonly StoredGridMapping[];
  /** The grid segment of the upload's key `<customer>/<grid>/<file>`, or null. */
  readonly s3KeyGrid: string | null;
}

/**
 * Resolves storage unit → disk pool → storage server (type HYDRAstor) → grid for every unit and
 * volume in the listings, choosing each server's grid by the first method that knows it:
 * `hydrastor_map.csv`, then the database, then the upload key. Pure: the database mappings come in
 * as data. Disagreements between methods are reported; the preferred one wins.
 *
 * A server counts as HYDRAstor when its `Storage Server Type` or a pool's `Disk Type` says so, or,
 * when neither listing describes it, when the map file or the database maps it (the site says so).
 */
export function correlateStorage(args: CorrelateStorageArgs): StorageCorrelation {
  const issues: ParseIssue[] = [];
  const mapFileByServer = new Map(args.mapFile.map((entry) => [hostKey(entry.storageServer), entry]));
  const storedByServer = new Map(args.storedMappings.map((mapping) => [hostKey(mapping.storageServer), mapping]));

  // What the listings say about each server's type: liststs first, then the pools that name it.
  const described = new Map<string, { name: string; serverType: string | null; isHydrastor: boolean }>();
  for (const server of args.storageServers) {
    described.set(hostKey(server.name), { name: server.name, serverType: server.serverType, isHydrastor: server.isHydrastor });
  }
  for (const pool of args.diskPools) {
    for (const { name } of pool.storageServers) {
      const known = described.get(hostKey(name));
      if (known === undefined) described.set(hostKey(name), { name, serverType: pool.diskType, isHydrastor: pool.isHydrastor });
      else if (!known.isHydrastor && pool.isHydrastor) described.set(hostKey(name), { ...known, isHydrastor: true });
    }
  }

  const servers = new Map<string, StorageServerResolution>();
  const resolveServer = (name: string): StorageServerResolution => {
    const key = hostKey(name);
    const cached = servers.get(key);
    if (cached !== undefined) return cached;
    const description = described.get(key);
    const mapEntry = mapFileByServer.get(key);
    const stored = storedByServer.get(key);
    const typeKnown = description !== undefined && (description.isHydrastor || description.serverType !== null);
    const isHydrastor = typeKnown ? description.isHydrastor : mapEntry !== undefined || stored !== undefined;
    const candidates: GridLink[] = [];
    if (mapEntry !== undefined) candidates.push({ gridSerial: mapEntry.gridSerial, gridName: mapEntry.gridName, method: 'map_file' });
    if (stored !== undefined) candidates.push({ gridSerial: stored.gridSerial, gridName: stored.gridName ?? null, method: 'database' });
    if (args.s3KeyGrid !== null && args.s3KeyGrid.length > 0) candidates.push({ gridSerial: null, gridName: args.s3KeyGrid, method: 's3_key' });
    const grid = isHydrastor ? (candidates[0] ?? null) : null;
    if (grid !== null) reportDisagreements({ server: description?.name ?? name, chosen: grid, candidates, issues });
    if (!isHydrastor && (mapEntry !== undefined || stored !== undefined)) {
      issues.push({
        file: mapEntry !== undefined ? EXPORT_FILES.hydrastorMap.fileName : CORRELATION_ISSUE_SOURCE,
        line: mapEntry?.line ?? null,
        severity: 'warning',
        message: `storage server ${name} is mapped to a grid but its type is ${description?.serverType ?? 'unknown'}, not HYDRAstor: mapping ignored`,
      });
    }
    const resolution: StorageServerResolution = {
      storageServer: description?.name ?? name,
      serverType: description?.serverType ?? null,
      isHydrastor,
      grid,
      outcome: !isHydrastor ? 'not_hydrastor' : grid === null ? 'no_grid_link' : 'linked',
    };
    servers.set(key, resolution);
    if (resolution.outcome === 'no_grid_link') {
      issues.push({
        file: CORRELATION_ISSUE_SOURCE,
        line: null,
        severity: 'warning',
        message: `HYDRAstor storage server ${resolution.storageServer} has no grid link (no map file entry, database mapping or key grid)`,
      });
    }
    return resolution;
  };
  for (const name of [...described.values()].map((server) => server.name)) resolveServer(name);

  const poolsByName = new Map(args.diskPools.map((pool) => [pool.name, pool]));
  /** Pool → server → grid, shared by storage units and disk volumes. */
  const resolvePool = (poolName: string | null): Omit<StorageUnitResolution, 'storageUnit'> => {
    if (poolName === null) return { diskPool: null, storageServer: null, isHydrastor: false, grid: null, outcome: 'not_hydrastor' };
    const pool = poolsByName.get(poolName);
    if (pool === undefined) return { diskPool: poolName, storageServer: null, isHydrastor: false, grid: null, outcome: 'unknown_disk_pool' };
    if (pool.storageServer === null) {
      return {
        diskPool: poolName,
        storageServer: null,
        isHydrastor: pool.isHydrastor,
        grid: null,
        outcome: pool.isHydrastor ? 'unknown_storage_server' : 'not_hydrastor',
      };
    }
    const server = resolveServer(pool.storageServer);
    return { diskPool: poolName, storageServer: server.storageServer, isHydrastor: server.isHydrastor, grid: server.grid, outcome: server.outcome };
  };

  const storageUnits = new Map<string, StorageUnitResolution>();
  for (const unit of args.storageUnits) storageUnits.set(unit.label, { storageUnit: unit.label, ...resolvePool(unit.diskPool) });

  const diskVolumes = args.diskVolumes.map((volume): DiskVolumeResolution => {
    const { diskPool, storageServer, isHydrastor, grid, outcome } = resolvePool(volume.diskPool);
    return { lsu: volume.name, diskMediaId: volume.diskMediaId, diskPool, storageServer, isHydrastor: isHydrastor || volume.isHydrastor, grid, outcome };
  });
  const diskVolumesByMediaId = new Map(diskVolumes.flatMap((volume) => (volume.diskMediaId === null ? [] : [[volume.diskMediaId, volume] as const])));

  return { storageUnits, storageServers: servers, diskVolumesByMediaId, diskVolumes, issues };
}

/** The resolution for a job's `stunit` (exact label first, then ignoring case), or null if unknown. */
export function resolveStorageUnit(correlation: StorageCorrelation, storageUnit: string | null): StorageUnitResolution | null {
  if (storageUnit === null) return null;
  const exact = correlation.storageUnits.get(storageUnit);
  if (exact !== undefined) return exact;
  const wanted = storageUnit.toLowerCase();
  for (const [label, resolution] of correlation.storageUnits) {
    if (label.toLowerCase() === wanted) return resolution;
  }
  return null;
}

function reportDisagreements(args: {
  readonly server: string;
  readonly chosen: GridLink;
  readonly candidates: readonly GridLink[];
  readonly issues: ParseIssue[];
}): void {
  for (const other of args.candidates) {
    if (other === args.chosen) continue;
    const differs =
      other.gridSerial !== null && args.chosen.gridSerial !== null
        ? other.gridSerial !== args.chosen.gridSerial
        : other.gridName !== null && args.chosen.gridName !== null && other.gridName.toLowerCase() !== args.chosen.gridName.toLowerCase();
    if (!differs) continue;
    args.issues.push({
      file: CORRELATION_ISSUE_SOURCE,
      line: null,
      severity: 'warning',
      message: `storage server ${args.server}: ${args.chosen.method} links grid ${describeGrid(args.chosen)}, ${other.method} says ${describeGrid(other)}; using ${args.chosen.method}`,
    });
  }
}

function describeGrid(link: GridLink): string {
  return link.gridSerial ?? link.gridName ?? '?';
}
