import { EXPORT_FILES } from './export-entry-kind.js';
import { createListingValueReader } from './listing-value-reader.js';
import type { ParseIssue } from '../../parse-issue.js';
import { labelValue, parseLabelRecords, type LabelRecord } from './parse-label-records.js';
import { yesNo } from './storage-values.js';

/** Labels of `bpstulist -U`, in one place so a differently spelled label is a one-line fix. */
export const STORAGE_UNIT_LABELS = {
  label: 'Label',
  type: 'Storage Unit Type',
  subtype: 'Storage Unit Subtype',
  hostConnection: 'Host Connection',
  concurrentJobs: 'Concurrent Jobs',
  onDemandOnly: 'On Demand Only',
  maxFragmentSize: 'Max Fragment Size',
  diskPool: 'Disk Pool',
} as const;

export interface StorageUnit {
  readonly line: number;
  /** The name jobs carry in `stunit`. */
  readonly label: string;
  readonly type: string | null;
  readonly subtype: string | null;
  readonly hostConnection: string | null;
  readonly concurrentJobs: number | null;
  readonly onDemandOnly: boolean | null;
  readonly maxFragmentSizeMegabytes: number | null;
  /** Null for storage units that are not disk pools (tape, BasicDisk). */
  readonly diskPool: string | null;
  readonly record: LabelRecord;
}

export interface StorageUnitsResult {
  readonly storageUnits: StorageUnit[];
  readonly issues: ParseIssue[];
}

/** Storage units of `bpstulist -U`; a record without a `Label` is reported and skipped. */
export function parseStorageUnits(text: string, options: { readonly file?: string } = {}): StorageUnitsResult {
  const file = options.file ?? EXPORT_FILES.storageUnits.fileName;
  const { records, issues } = parseLabelRecords(text, { file, command: 'bpstulist' });
  const storageUnits: StorageUnit[] = [];
  for (const record of records) {
    const numbers = createListingValueReader(record, file, issues);
    const label = labelValue(record, STORAGE_UNIT_LABELS.label);
    if (label === null) {
      issues.push({ file, line: record.line, severity: 'error', message: `record has no "${STORAGE_UNIT_LABELS.label}", skipped` });
      continue;
    }
    storageUnits.push({
      line: record.line,
      label,
      type: labelValue(record, STORAGE_UNIT_LABELS.type),
      subtype: labelValue(record, STORAGE_UNIT_LABELS.subtype),
      hostConnection: labelValue(record, STORAGE_UNIT_LABELS.hostConnection),
      concurrentJobs: numbers.integer(STORAGE_UNIT_LABELS.concurrentJobs),
      onDemandOnly: yesNo(labelValue(record, STORAGE_UNIT_LABELS.onDemandOnly)),
      maxFragmentSizeMegabytes: numbers.integer(STORAGE_UNIT_LABELS.maxFragmentSize),
      diskPool: labelValue(record, STORAGE_UNIT_LABELS.diskPool),
      record,
    });
  }
  return { storageUnits, issues };
}
