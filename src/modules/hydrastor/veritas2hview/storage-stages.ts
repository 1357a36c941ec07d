import { column, type StageTable } from './copy-columns.js';
import type { DiskVolumeResolution, GridLink, StorageServerResolution, StorageUnitResolution } from './correlate.js';
import type { DiskPool } from './parse-disk-pools.js';
import type { DiskVolume } from './parse-disk-volumes.js';
import { labelRecordToJson, type LabelRecord } from './parse-label-records.js';
import type { StorageServer } from './parse-storage-servers.js';
import type { StorageUnit } from './parse-storage-units.js';

/** A storage server as the correlation knows it, with its `-liststs` record when it has one. */
export interface StorageServerRow {
  readonly resolution: StorageServerResolution;
  readonly listed: StorageServer | undefined;
}

export interface DiskVolumeRow {
  readonly volume: DiskVolume;
  readonly resolution: DiskVolumeResolution;
}

export interface StorageUnitRow {
  readonly unit: StorageUnit;
  readonly resolution: StorageUnitResolution;
}

/** The three columns of a grid link, shared by every table that records one. */
function gridLinkColumns<Row>(linkOf: (row: Row) => GridLink | null) {
  return [
    column.text<Row>('grid_serial', (row) => linkOf(row)?.gridSerial ?? null),
    column.text<Row>('grid_name', (row) => linkOf(row)?.gridName ?? null),
    column.text<Row>('grid_link_method', (row) => linkOf(row)?.method ?? null),
  ];
}

function attributes(record: LabelRecord | undefined): Record<string, string | string[]> {
  return record === undefined ? {} : labelRecordToJson(record);
}

export const STORAGE_SERVER_STAGE: StageTable<StorageServerRow> = {
  name: 'veritas_stage_storage_servers',
  columns: [
    column.text('name', (row) => row.resolution.storageServer),
    column.text('server_type', (row) => row.resolution.serverType),
    column.boolean('is_hydrastor', (row) => row.resolution.isHydrastor),
    column.text('storage_type', (row) => row.listed?.storageType ?? null),
    column.text('state', (row) => row.listed?.state ?? null),
    column.textArray('flags', (row) => row.listed?.flags ?? []),
    column.json('attributes', (row) => attributes(row.listed?.record)),
    ...gridLinkColumns<StorageServerRow>((row) => row.resolution.grid),
    column.text('link_outcome', (row) => row.resolution.outcome),
  ],
};

export const DISK_POOL_STAGE: StageTable<DiskPool> = {
  name: 'veritas_stage_disk_pools',
  columns: [
    column.text('name', (pool) => pool.name),
    column.text('pool_id', (pool) => pool.id),
    column.text('disk_type', (pool) => pool.diskType),
    column.boolean('is_hydrastor', (pool) => pool.isHydrastor),
    column.text('status', (pool) => pool.status),
    column.textArray('flags', (pool) => pool.flags),
    column.bigint('raw_size_bytes', (pool) => pool.rawSizeBytes),
    column.bigint('usable_size_bytes', (pool) => pool.usableSizeBytes),
    column.integer('volume_count', (pool) => pool.volumeCount),
    column.integer('high_watermark_percent', (pool) => pool.highWatermarkPercent),
    column.integer('low_watermark_percent', (pool) => pool.lowWatermarkPercent),
    column.integer('max_io_streams', (pool) => pool.maxIoStreams),
    column.text('comment', (pool) => pool.comment),
    column.text('storage_server', (pool) => pool.storageServer),
    column.text('storage_server_state', (pool) => pool.storageServerState),
    column.textArray('storage_servers', (pool) => pool.storageServers.map((server) => server.name)),
    column.json('attributes', (pool) => attributes(pool.record)),
  ],
};

/** Volumes without a pool are keyed under the empty pool name (the key columns are NOT NULL). */
export const DISK_VOLUME_STAGE: StageTable<DiskVolumeRow> = {
  name: 'veritas_stage_disk_volumes',
  columns: [
    column.text('disk_pool', (row) => row.volume.diskPool ?? ''),
    column.text('name', (row) => row.volume.name),
    column.text('disk_media_id', (row) => row.volume.diskMediaId),
    column.text('disk_type', (row) => row.volume.diskType),
    column.boolean('is_hydrastor', (row) => row.resolution.isHydrastor),
    column.bigint('total_capacity_bytes', (row) => row.volume.totalCapacityBytes),
    column.bigint('free_space_bytes', (row) => row.volume.freeSpaceBytes),
    column.integer('used_percent', (row) => row.volume.usedPercent),
    column.text('status', (row) => row.volume.status),
    column.textArray('flags', (row) => row.volume.flags),
    column.integer('read_mounts', (row) => row.volume.readMounts),
    column.integer('write_mounts', (row) => row.volume.writeMounts),
    column.integer('read_streams', (row) => row.volume.readStreams),
    column.integer('write_streams', (row) => row.volume.writeStreams),
    column.json('attributes', (row) => attributes(row.volume.record)),
    column.text('storage_server', (row) => row.resolution.storageServer),
    ...gridLinkColumns<DiskVolumeRow>((row) => row.resolution.grid),
    column.text('link_outcome', (row) => row.resolution.outcome),
  ],
};

export const STORAGE_UNIT_STAGE: StageTable<StorageUnitRow> = {
  name: 'veritas_stage_storage_units',
  columns: [
    column.text('label', (row) => row.unit.label),
    column.text('unit_type', (row) => row.unit.type),
    column.text('subtype', (row) => row.unit.subtype),
    column.text('host_connection', (row) => row.unit.hostConnection),
    column.integer('concurrent_jobs', (row) => row.unit.concurrentJobs),
    column.boolean('on_demand_only', (row) => row.unit.onDemandOnly),
    column.integer('max_fragment_size_megabytes', (row) => row.unit.maxFragmentSizeMegabytes),
    column.text('disk_pool', (row) => row.unit.diskPool),
    column.json('attributes', (row) => attributes(row.unit.record)),
    column.text('storage_server', (row) => row.resolution.storageServer),
    column.boolean('is_hydrastor', (row) => row.resolution.isHydrastor),
    ...gridLinkColumns<StorageUnitRow>((row) => row.resolution.grid),
    column.text('link_outcome', (row) => row.resolution.outcome),
  ],
};
