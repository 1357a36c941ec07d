import { EXPORT_FILES } from './export-entry-kind.js';
import { createListingValueReader } from './listing-value-reader.js';
import type { ParseIssue } from '../../parse-issue.js';
import { labelValue, labelValues, parseLabelRecords, type LabelRecord } from './parse-label-records.js';
import { isHydrastorType } from './storage-values.js';

/** Labels of `nbdevquery -listdv -U`, in one place so a differently spelled label is a one-line fix. */
export const DISK_VOLUME_LABELS = {
  diskPool: 'Disk Pool Name',
  diskType: 'Disk Type',
  name: 'Disk Volume Name',
  diskMediaId: 'Disk Media ID',
  totalCapacity: 'Total Capacity (GB)',
  freeSpace: 'Free Space (GB)',
  usedPercent: 'Use%',
  status: 'Status',
  flag: 'Flag',
  readMounts: 'Num Read Mounts',
  writeMounts: 'Num Write Mounts',
  readStreams: 'Cur Read Streams',
  writeStreams: 'Cur Write Streams',
} as const;

export interface DiskVolume {
  readonly line: number;
  /** `Disk Volume Name`: for HYDRAstor, the OST LSU (an OST file system of the grid). */
  readonly name: string;
  /** `@aaaab`: what `bpimagelist` FRAG lines reference (field 9). */
  readonly diskMediaId: string | null;
  readonly diskPool: string | null;
  readonly diskType: string | null;
  readonly isHydrastor: boolean;
  readonly totalCapacityBytes: bigint | null;
  readonly freeSpaceBytes: bigint | null;
  readonly usedPercent: number | null;
  readonly status: string | null;
  readonly flags: readonly string[];
  readonly readMounts: number | null;
  readonly writeMounts: number | null;
  readonly readStreams: number | null;
  readonly writeStreams: number | null;
  readonly record: LabelRecord;
}

export interface DiskVolumesResult {
  readonly diskVolumes: DiskVolume[];
  readonly issues: ParseIssue[];
}

/** Disk volumes of `nbdevquery -listdv -U`; a record without a volume name is reported and skipped. */
export function parseDiskVolumes(text: string, options: { readonly file?: string } = {}): DiskVolumesResult {
  const file = options.file ?? EXPORT_FILES.diskVolumes.fileName;
  const { records, issues } = parseLabelRecords(text, { file, command: 'nbdevquery -listdv' });
  const diskVolumes: DiskVolume[] = [];
  for (const record of records) {
    const numbers = createListingValueReader(record, file, issues);
    const name = labelValue(record, DISK_VOLUME_LABELS.name);
    if (name === null) {
      issues.push({ file, line: record.line, severity: 'error', message: `record has no "${DISK_VOLUME_LABELS.name}", skipped` });
      continue;
    }
    const diskType = labelValue(record, DISK_VOLUME_LABELS.diskType);
    diskVolumes.push({
      line: record.line,
      name,
      diskMediaId: labelValue(record, DISK_VOLUME_LABELS.diskMediaId),
      diskPool: labelValue(record, DISK_VOLUME_LABELS.diskPool),
      diskType,
      isHydrastor: isHydrastorType(diskType),
      totalCapacityBytes: numbers.gibibytes(DISK_VOLUME_LABELS.totalCapacity),
      freeSpaceBytes: numbers.gibibytes(DISK_VOLUME_LABELS.freeSpace),
      usedPercent: numbers.integer(DISK_VOLUME_LABELS.usedPercent),
      status: labelValue(record, DISK_VOLUME_LABELS.status),
      flags: labelValues(record, DISK_VOLUME_LABELS.flag).filter((flag) => flag.length > 0),
      readMounts: numbers.integer(DISK_VOLUME_LABELS.readMounts),
      writeMounts: numbers.integer(DISK_VOLUME_LABELS.writeMounts),
      readStreams: numbers.integer(DISK_VOLUME_LABELS.readStreams),
      writeStreams: numbers.integer(DISK_VOLUME_LABELS.writeStreams),
      record,
    });
  }
  return { diskVolumes, issues };
}
