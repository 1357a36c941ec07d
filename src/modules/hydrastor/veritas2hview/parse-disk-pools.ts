import { EXPORT_FILES } from './export-entry-kind.js';
import { createListingValueReader } from './listing-value-reader.js';
import type { ParseIssue } from '../../parse-issue.js';
import { labelValue, labelValues, parseLabelRecords, type LabelRecord } from './parse-label-records.js';
import { isHydrastorType, splitStateSuffix, type NameWithState } from './storage-values.js';

/** Labels of `nbdevquery -listdp -U`, in one place so a differently spelled label is a one-line fix. */
export const DISK_POOL_LABELS = {
  name: 'Disk Pool Name',
  id: 'Disk Pool Id',
  diskType: 'Disk Type',
  status: 'Status',
  flag: 'Flag',
  rawSize: 'Raw Size (GB)',
  usableSize: 'Usable Size (GB)',
  volumeCount: 'Num Volumes',
  highWatermark: 'High Watermark',
  lowWatermark: 'Low Watermark',
  maxIoStreams: 'Max IO Streams',
  comment: 'Comment',
  storageServer: 'Storage Server',
} as const;

export interface DiskPool {
  readonly line: number;
  readonly name: string;
  readonly id: string | null;
  readonly diskType: string | null;
  readonly isHydrastor: boolean;
  readonly status: string | null;
  readonly flags: readonly string[];
  /** "GB" in the listing means GiB; converted to bytes. */
  readonly rawSizeBytes: bigint | null;
  readonly usableSizeBytes: bigint | null;
  readonly volumeCount: number | null;
  readonly highWatermarkPercent: number | null;
  readonly lowWatermarkPercent: number | null;
  /** -1 means unlimited. */
  readonly maxIoStreams: number | null;
  readonly comment: string | null;
  /** Every `Storage Server` line, the ` (UP)` suffix split off into `state`. */
  readonly storageServers: readonly NameWithState[];
  /** The first storage server's name (usually the only one). */
  readonly storageServer: string | null;
  readonly storageServerState: string | null;
  readonly record: LabelRecord;
}

export interface DiskPoolsResult {
  readonly diskPools: DiskPool[];
  readonly issues: ParseIssue[];
}

/** Disk pools of `nbdevquery -listdp -U`; a record without a pool name is reported and skipped. */
export function parseDiskPools(text: string, options: { readonly file?: string } = {}): DiskPoolsResult {
  const file = options.file ?? EXPORT_FILES.diskPools.fileName;
  const { records, issues } = parseLabelRecords(text, { file, command: 'nbdevquery -listdp' });
  const diskPools: DiskPool[] = [];
  for (const record of records) {
    const numbers = createListingValueReader(record, file, issues);
    const name = labelValue(record, DISK_POOL_LABELS.name);
    if (name === null) {
      issues.push({ file, line: record.line, severity: 'error', message: `record has no "${DISK_POOL_LABELS.name}", skipped` });
      continue;
    }
    const diskType = labelValue(record, DISK_POOL_LABELS.diskType);
    const storageServers = labelValues(record, DISK_POOL_LABELS.storageServer)
      .filter((value) => value.length > 0)
      .map(splitStateSuffix);
    diskPools.push({
      line: record.line,
      name,
      id: labelValue(record, DISK_POOL_LABELS.id),
      diskType,
      isHydrastor: isHydrastorType(diskType),
      status: labelValue(record, DISK_POOL_LABELS.status),
      flags: labelValues(record, DISK_POOL_LABELS.flag).filter((flag) => flag.length > 0),
      rawSizeBytes: numbers.gibibytes(DISK_POOL_LABELS.rawSize),
      usableSizeBytes: numbers.gibibytes(DISK_POOL_LABELS.usableSize),
      volumeCount: numbers.integer(DISK_POOL_LABELS.volumeCount),
      highWatermarkPercent: numbers.integer(DISK_POOL_LABELS.highWatermark),
      lowWatermarkPercent: numbers.integer(DISK_POOL_LABELS.lowWatermark),
      maxIoStreams: numbers.integer(DISK_POOL_LABELS.maxIoStreams),
      comment: labelValue(record, DISK_POOL_LABELS.comment),
      storageServers,
      storageServer: storageServers[0]?.name ?? null,
      storageServerState: storageServers[0]?.state ?? null,
      record,
    });
  }
  return { diskPools, issues };
}
