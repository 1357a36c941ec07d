import type { Transaction } from 'kysely';
import type { Database } from '../../../db/database-schema.js';
import { copyStatementFor, createStageTable, encodeCopyRow, type StageTable } from './copy-columns.js';
import { copyFromStdin } from './copy-from-stdin.js';
import { withoutNul } from './copy-text.js';
import type { StorageCorrelation } from './correlate.js';
import { mergeStage } from './merge-stage.js';
import { OBSERVED_NO_EARLIER } from './observation-order.js';
import type { DiskPool } from './parse-disk-pools.js';
import type { DiskVolume } from './parse-disk-volumes.js';
import type { StorageServer } from './parse-storage-servers.js';
import type { StorageUnit } from './parse-storage-units.js';
import { hostKey } from './storage-values.js';
import {
  DISK_POOL_STAGE,
  DISK_VOLUME_STAGE,
  STORAGE_SERVER_STAGE,
  STORAGE_UNIT_STAGE,
  type DiskVolumeRow,
  type StorageServerRow,
  type StorageUnitRow,
} from './storage-stages.js';

export interface StorageListings {
  readonly storageServers: readonly StorageServer[];
  readonly diskPools: readonly DiskPool[];
  readonly diskVolumes: readonly DiskVolume[];
  readonly storageUnits: readonly StorageUnit[];
}

interface Target {
  readonly masterServerId: string;
  readonly jobId: string;
  /** The export's observation time (export-observation.ts). */
  readonly observedAt: Date | null;
}

/**
 * Stores the storage configuration (servers, pools, volumes, units) with the grid each one leads
 * to. These listings hold one record per object (hundreds at most), so each goes in one COPY and
 * one merge; a repeated key keeps its first record, as the parsers do. A row from a newer export
 * than this one stays as it is; rows this export alone lists are added.
 * Returns the rows written per table.
 */
export async function upsertStorageListings(
  trx: Transaction<Database>,
  args: Target & {
    readonly listings: StorageListings;
    readonly correlation: StorageCorrelation;
  },
): Promise<Record<string, number>> {
  const { listings, correlation } = args;
  const listedServers = new Map(listings.storageServers.map((server) => [hostKey(server.name), server]));
  const servers: StorageServerRow[] = [...correlation.storageServers.values()].map((resolution) => ({
    resolution,
    listed: listedServers.get(hostKey(resolution.storageServer)),
  }));
  // correlateStorage resolves the volumes in listing order.
  const volumes: DiskVolumeRow[] = listings.diskVolumes.flatMap((volume, index) => {
    const resolution = correlation.diskVolumes[index];
    return resolution === undefined ? [] : [{ volume, resolution }];
  });
  const units: StorageUnitRow[] = listings.storageUnits.flatMap((unit) => {
    const resolution = correlation.storageUnits.get(unit.label);
    return resolution === undefined ? [] : [{ unit, resolution }];
  });

  return {
    veritas_storage_servers: await loadListing(trx, {
      ...args,
      stage: STORAGE_SERVER_STAGE,
      target: 'veritas_storage_servers',
      keyColumns: ['name'],
      rows: servers,
      keyOf: (row) => row.resolution.storageServer,
    }),
    veritas_disk_pools: await loadListing(trx, {
      ...args,
      stage: DISK_POOL_STAGE,
      target: 'veritas_disk_pools',
      keyColumns: ['name'],
      rows: listings.diskPools,
      keyOf: (pool) => pool.name,
    }),
    veritas_disk_volumes: await loadListing(trx, {
      ...args,
      stage: DISK_VOLUME_STAGE,
      target: 'veritas_disk_volumes',
      keyColumns: ['disk_pool', 'name'],
      rows: volumes,
      keyOf: (row) => `${row.volume.diskPool ?? ''}\n${row.volume.name}`,
    }),
    veritas_storage_units: await loadListing(trx, {
      ...args,
      stage: STORAGE_UNIT_STAGE,
      target: 'veritas_storage_units',
      keyColumns: ['label'],
      rows: units,
      keyOf: (row) => row.unit.label,
    }),
  };
}

async function loadListing<Row>(
  trx: Transaction<Database>,
  args: Target & {
    readonly stage: StageTable<Row>;
    readonly target: string;
    readonly keyColumns: readonly string[];
    readonly rows: readonly Row[];
    readonly keyOf: (row: Row) => string;
  },
): Promise<number> {
  const seen = new Set<string>();
  const unique = args.rows.filter((row) => {
    // As stored: COPY drops NUL, so names differing only by one would collide in one merge.
    const key = withoutNul(args.keyOf(row));
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  if (unique.length === 0) return 0;
  await createStageTable(trx, args.stage);
  await copyFromStdin(trx, { statement: copyStatementFor(args.stage), source: unique.map((row) => encodeCopyRow(args.stage.columns, row)) });
  return mergeStage({
    trx,
    stage: args.stage,
    target: args.target,
    keyColumns: args.keyColumns,
    updateGuard: OBSERVED_NO_EARLIER,
    refreshObservedAt: true,
    observedAt: args.observedAt,
    masterServerId: args.masterServerId,
    jobId: args.jobId,
  });
}
