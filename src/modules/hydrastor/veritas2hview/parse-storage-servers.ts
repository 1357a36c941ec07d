import { EXPORT_FILES } from './export-entry-kind.js';
import type { ParseIssue } from '../../parse-issue.js';
import { labelValue, labelValues, parseLabelRecords, type LabelRecord } from './parse-label-records.js';
import { isHydrastorType } from './storage-values.js';

/** Labels of `nbdevquery -liststs -U`, in one place so a differently spelled label is a one-line fix. */
export const STORAGE_SERVER_LABELS = {
  name: 'Storage Server',
  serverType: 'Storage Server Type',
  storageType: 'Storage Type',
  state: 'State',
  flag: 'Flag',
} as const;

export interface StorageServer {
  readonly line: number;
  readonly name: string;
  readonly serverType: string | null;
  readonly isHydrastor: boolean;
  readonly storageType: string | null;
  readonly state: string | null;
  readonly flags: readonly string[];
  readonly record: LabelRecord;
}

export interface StorageServersResult {
  readonly storageServers: StorageServer[];
  readonly issues: ParseIssue[];
}

/** Storage servers of `nbdevquery -liststs -U`; a record without a name is reported and skipped. */
export function parseStorageServers(text: string, options: { readonly file?: string } = {}): StorageServersResult {
  const file = options.file ?? EXPORT_FILES.storageServers.fileName;
  const { records, issues } = parseLabelRecords(text, { file, command: 'nbdevquery -liststs' });
  const storageServers: StorageServer[] = [];
  for (const record of records) {
    const name = labelValue(record, STORAGE_SERVER_LABELS.name);
    if (name === null) {
      issues.push({ file, line: record.line, severity: 'error', message: `record has no "${STORAGE_SERVER_LABELS.name}", skipped` });
      continue;
    }
    const serverType = labelValue(record, STORAGE_SERVER_LABELS.serverType);
    storageServers.push({
      line: record.line,
      name,
      serverType,
      isHydrastor: isHydrastorType(serverType),
      storageType: labelValue(record, STORAGE_SERVER_LABELS.storageType),
      state: labelValue(record, STORAGE_SERVER_LABELS.state),
      flags: labelValues(record, STORAGE_SERVER_LABELS.flag).filter((flag) => flag.length > 0),
      record,
    });
  }
  return { storageServers, issues };
}
