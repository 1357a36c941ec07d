import type { BpdbjobsRecord } from './bpdbjobs-record.js';
import { column, type StageTable } from './copy-columns.js';
import { kilobytesToBytes } from './copy-text.js';
import { resolveStorageUnit, type GridLink, type StorageCorrelation } from './correlate.js';
import { OBSERVED_LATER, OBSERVED_SAME } from './observation-order.js';

export const JOB_STAGE_NAME = 'veritas_stage_jobs';
export const JOBS_TABLE = 'veritas_jobs';
/** A done job keeps its final state whatever a later (or older) export says. */
export const JOB_NEVER_REGRESSES = 'NOT (existing.state = 3 AND excluded.state <> 3)';

/**
 * How far a job had got when it was observed, by its own times: its end, else its start plus the
 * time it had been running (which grows with every export while it runs). Unknown sorts first.
 */
function jobProgress(row: 'existing' | 'excluded'): string {
  return `coalesce(greatest(${row}.ended_at, ${row}.started_at + ${row}.elapsed_seconds * interval '1 second', ${row}.started_at), '-infinity'::timestamptz)`;
}

/**
 * When a stored job takes an export's record: never from done back to running; then the newer
 * export wins; between exports of the same time (or both undated), the record that shows the job
 * further along wins (and on a tie the one loaded last, as the same record twice changes nothing).
 */
export const JOB_UPDATE_GUARD = `${JOB_NEVER_REGRESSES} AND (${OBSERVED_LATER} OR (${OBSERVED_SAME} AND ${jobProgress('excluded')} >= ${jobProgress('existing')}))`;

/** The grid a job's storage unit leads to, or null. */
export type StorageUnitGridLookup = (storageUnit: string | null) => GridLink | null;

/** Distinct labels remembered; a hostile file with a new label per job only empties the memo now and then. */
const MAX_REMEMBERED_STORAGE_UNITS = 10_000;

/**
 * Resolves each job's `stunit` through the correlation, remembering labels already seen: jobs
 * name a handful of storage units, and the case-insensitive fallback of resolveStorageUnit scans
 * them all, which must not happen once per job.
 */
export function storageUnitGridLookup(correlation: StorageCorrelation): StorageUnitGridLookup {
  const remembered = new Map<string, GridLink | null>();
  return (storageUnit) => {
    if (storageUnit === null) return null;
    const known = remembered.get(storageUnit);
    if (known !== undefined) return known;
    const grid = resolveStorageUnit(correlation, storageUnit)?.grid ?? null;
    if (remembered.size >= MAX_REMEMBERED_STORAGE_UNITS) remembered.clear();
    remembered.set(storageUnit, grid);
    return grid;
  };
}

/**
 * The `veritas_jobs` staging table: every bpdbjobs field, sizes converted from KiB to bytes, and
 * the grid the job's storage unit resolves to (so the merge needs no join).
 */
export function jobStageTable(gridOf: StorageUnitGridLookup): StageTable<BpdbjobsRecord> {
  return {
    name: JOB_STAGE_NAME,
    columns: [
      column.bigint('job_id', (job) => job.jobId),
      column.integer('job_type', (job) => job.jobType),
      { ...column.integer('state', (job) => job.state), type: 'smallint' },
      column.integer('status', (job) => job.status),
      column.text('policy', (job) => job.policy),
      column.text('schedule', (job) => job.schedule),
      column.text('client', (job) => job.client),
      column.text('media_server', (job) => job.mediaServer),
      column.epochTimestamp('started_at', (job) => job.startedAt),
      column.bigint('elapsed_seconds', (job) => job.elapsedSeconds),
      column.epochTimestamp('ended_at', (job) => job.endedAt),
      column.text('storage_unit', (job) => job.storageUnit),
      column.integer('current_try', (job) => job.currentTry),
      column.integer('operation', (job) => job.operation),
      column.bigint('bytes_written', (job) => kilobytesToBytes(job.kilobytes)),
      column.bigint('files_written', (job) => job.files),
      column.text('path_last_written', (job) => job.pathLastWritten),
      column.integer('percent_complete', (job) => job.percentComplete),
      column.bigint('job_pid', (job) => job.jobPid),
      column.text('owner', (job) => job.owner),
      column.integer('subtype', (job) => job.subtype),
      column.integer('policy_type', (job) => job.policyType),
      column.integer('schedule_type', (job) => job.scheduleType),
      column.integer('priority', (job) => job.priority),
      column.text('owner_group', (job) => job.ownerGroup),
      column.text('job_master_server', (job) => job.masterServer),
      column.integer('retention_level', (job) => job.retentionLevel),
      column.bigint('retention_period', (job) => job.retentionPeriod),
      column.integer('compression', (job) => job.compression),
      column.bigint('bytes_to_be_written', (job) => kilobytesToBytes(job.kilobytesToBeWritten)),
      column.bigint('files_to_be_written', (job) => job.filesToBeWritten),
      column.bigint('file_list_count', (job) => job.fileListCount),
      column.integer('try_count', (job) => job.tryCount),
      column.bigint('parent_job_id', (job) => job.parentJobId),
      column.numeric('kilobytes_per_second', (job) => job.kilobytesPerSecond),
      column.integer('copy_number', (job) => job.copyNumber),
      column.text('robot', (job) => job.robot),
      column.text('vault', (job) => job.vault),
      column.text('profile', (job) => job.profile),
      column.text('session', (job) => job.session),
      column.text('eject_tapes', (job) => job.ejectTapes),
      column.text('source_storage_unit', (job) => job.sourceStorageUnit),
      column.text('source_server', (job) => job.sourceServer),
      column.text('source_media', (job) => job.sourceMedia),
      column.text('destination_media', (job) => job.destinationMedia),
      column.integer('stream_number', (job) => job.streamNumber),
      column.integer('suspendable', (job) => job.suspendable),
      column.integer('resumable', (job) => job.resumable),
      column.integer('restartable', (job) => job.restartable),
      column.integer('data_movement', (job) => job.dataMovement),
      column.integer('snapshot', (job) => job.snapshot),
      column.text('backup_id', (job) => job.backupId),
      column.integer('killable', (job) => job.killable),
      column.text('controlling_host', (job) => job.controllingHost),
      column.integer('off_host_type', (job) => job.offHostType),
      column.integer('ft_usage', (job) => job.ftUsage),
      column.integer('queue_reason', (job) => job.queueReason),
      column.numeric('dedup_ratio', (job) => job.dedupRatio),
      column.integer('accelerator', (job) => job.accelerator),
      column.json('extra', (job) => job.extra),
      column.text('grid_serial', (job) => gridOf(job.storageUnit)?.gridSerial ?? null),
      column.text('grid_name', (job) => gridOf(job.storageUnit)?.gridName ?? null),
      column.text('grid_link_method', (job) => gridOf(job.storageUnit)?.method ?? null),
    ],
  };
}
