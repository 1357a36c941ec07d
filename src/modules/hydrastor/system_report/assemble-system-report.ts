import { isKnownTimeZone } from '../../shared/values/apply-timezone.js';
import { createFieldReader, type FieldReader } from '../common/field-reader.js';
import type { FieldSource } from '../../shared/text/field-source.js';
import type { ParseIssue } from '../../parse-issue.js';
import {
  buildReportActiveAlert,
  buildReportCapacity,
  buildReportFilesystem,
  buildReportNode,
  buildReportReplication,
  buildReportSystem,
  readReportTimezone,
} from './build-report-records.js';
import { createReportTimeResolver } from './report-time-resolver.js';
import type { SystemReport } from './system-report-types.js';

/** Canonical records of each part of a report; an empty list when the part was absent. */
export interface ReportRecordSources {
  readonly system: FieldSource;
  readonly capacity: readonly FieldSource[];
  readonly nodes: readonly FieldSource[];
  readonly filesystems: readonly FieldSource[];
  readonly replication: readonly FieldSource[];
  readonly activeAlerts: readonly FieldSource[];
}

/**
 * Keeps the first record per natural key and reports the rest: the upsert writes each batch with
 * one statement, and PostgreSQL refuses to touch the same key twice in one ON CONFLICT statement.
 */
function buildUnique<T>(args: {
  readonly sources: readonly FieldSource[];
  readonly issues: ParseIssue[];
  readonly build: (reader: FieldReader) => T | null;
  readonly key: (record: T) => string;
  readonly describe: (record: T) => string;
}): T[] {
  const records: T[] = [];
  const seen = new Set<string>();
  for (const source of args.sources) {
    const reader = createFieldReader(source, args.issues);
    const record = args.build(reader);
    if (record === null) continue;
    const key = args.key(record);
    if (seen.has(key)) {
      reader.issue(`duplicate ${args.describe(record)}; the first one is kept`);
      continue;
    }
    seen.add(key);
    records.push(record);
  }
  return records;
}

/** Builds the one normalised report out of canonical records from either source. */
export function assembleSystemReport(args: {
  readonly source: SystemReport['source'];
  readonly records: ReportRecordSources;
  /** The grid's zone as the caller knows it, for times without an offset when the report names none. */
  readonly timezone: string | null;
  readonly ignored: readonly string[];
  readonly issues: ParseIssue[];
}): SystemReport {
  const { records, issues } = args;
  const systemReader = createFieldReader(records.system, issues);
  const timezone = readReportTimezone(systemReader, isKnownTimeZone);
  const resolveTime = createReportTimeResolver({ timezone: timezone ?? args.timezone, issues });
  const system = buildReportSystem({ reader: systemReader, resolveTime, timezone });

  const [capacitySource, ...extraCapacity] = records.capacity;
  for (const extra of extraCapacity) {
    issues.push({ file: extra.file, line: extra.line, message: 'more than one capacity row; the first one is used' });
  }
  const capacity =
    capacitySource === undefined
      ? null
      : buildReportCapacity({ reader: createFieldReader(capacitySource, issues), resolveTime, systemReportTime: system.reportTime });

  return {
    source: args.source,
    system,
    capacity,
    nodes: buildUnique({
      sources: records.nodes,
      issues,
      build: buildReportNode,
      key: (node) => node.name,
      describe: (node) => `node ${node.name}`,
    }),
    filesystems: buildUnique({
      sources: records.filesystems,
      issues,
      build: buildReportFilesystem,
      key: (fs) => fs.name,
      describe: (fs) => `file system ${fs.name}`,
    }),
    replication: buildUnique({
      sources: records.replication,
      issues,
      build: (reader) => buildReportReplication(reader, resolveTime),
      key: (pair) => JSON.stringify([pair.sourceFs, pair.targetSerial ?? pair.targetSystem, pair.targetFs]),
      describe: (pair) => `replication of ${pair.sourceFs} to ${pair.targetSystem ?? pair.targetSerial ?? '?'}:${pair.targetFs ?? '?'}`,
    }),
    activeAlerts: buildUnique({
      sources: records.activeAlerts,
      issues,
      build: (reader) => buildReportActiveAlert(reader, resolveTime),
      key: (alert) => JSON.stringify([alert.eventId, alert.node, alert.occurredAt.getTime()]),
      describe: (alert) => `active alert ${alert.eventId} on ${alert.node ?? 'the grid'}`,
    }),
    ignored: args.ignored,
    issues,
  };
}
