import { IngestError } from '../../../core/ingest-error.js';
import type { FieldReader } from '../common/field-reader.js';
import { FILESYSTEM_PROTOCOLS, KNOWN_REPORT_COLUMNS, NODE_TYPES } from './system-report-columns.js';
import type { ReportTimeResolver } from './report-time-resolver.js';
import type { ReportActiveAlert, ReportCapacity, ReportFilesystem, ReportNode, ReportReplication, ReportSystem } from './system-report-types.js';

/**
 * Canonical record (CSV row, or body values mapped to CSV column names) → typed report record.
 * A record without its key is skipped with an issue (null); the system record is the exception:
 * without a name, serial and report time the whole report is unusable.
 */

function where(reader: FieldReader): string {
  return reader.source.line === null ? reader.source.file : `${reader.source.file}:${reader.source.line}`;
}

function resolvedTime(reader: FieldReader, column: string, resolve: ReportTimeResolver): Date | null {
  const parsed = reader.timestamp(column);
  return parsed === null ? null : resolve(parsed, { file: reader.source.file, line: reader.source.line, column });
}

function upperCaseKnown(reader: FieldReader, column: string, known: ReadonlySet<string>): string | null {
  const value = reader.text(column)?.toUpperCase() ?? null;
  if (value !== null && !known.has(value)) reader.issue(`${column}: unexpected value "${value}" (kept)`, column);
  return value;
}

export function readReportTimezone(reader: FieldReader, isKnown: (zone: string) => boolean): string | null {
  const timezone = reader.text('timezone');
  if (timezone !== null && !isKnown(timezone)) {
    reader.issue(`timezone: "${timezone}" is not a known IANA time zone; ignored`, 'timezone');
    return null;
  }
  return timezone;
}

export function buildReportSystem(args: {
  readonly reader: FieldReader;
  readonly resolveTime: ReportTimeResolver;
  readonly timezone: string | null;
}): ReportSystem {
  const { reader } = args;
  const name = reader.text('system_name');
  const serialNumber = reader.text('serial_number');
  const reportTime = resolvedTime(reader, 'report_time', args.resolveTime);
  if (name === null || serialNumber === null || reportTime === null) {
    const missing = [name === null ? 'system name' : null, serialNumber === null ? 'serial number' : null, reportTime === null ? 'report time' : null].filter(
      (field) => field !== null,
    );
    throw new IngestError('HYDRASTOR_REPORT_INCOMPLETE', `${where(reader)}: system report lacks a readable ${missing.join(', ')}`, {
      details: { file: reader.source.file, line: reader.source.line, missing },
    });
  }
  return {
    name,
    serialNumber,
    model: reader.text('model'),
    softwareVersion: reader.text('software_version'),
    reportTime,
    overallStatus: reader.text('overall_status'),
    resiliencyLevel: reader.integer('resiliency_level'),
    timezone: args.timezone,
    extra: reader.extra(KNOWN_REPORT_COLUMNS.system),
  };
}

export function buildReportCapacity(args: {
  readonly reader: FieldReader;
  readonly resolveTime: ReportTimeResolver;
  readonly systemReportTime: Date;
}): ReportCapacity {
  const { reader } = args;
  return {
    reportTime: resolvedTime(reader, 'report_time', args.resolveTime) ?? args.systemReportTime,
    physicalTotalBytes: reader.bytes('physical_total_bytes'),
    physicalUsedBytes: reader.bytes('physical_used_bytes'),
    physicalFreeBytes: reader.bytes('physical_free_bytes'),
    logicalUsedBytes: reader.bytes('logical_used_bytes'),
    dedupeRatio: reader.ratio('dedupe_ratio'),
    extra: reader.extra(KNOWN_REPORT_COLUMNS.capacity),
  };
}

export function buildReportNode(reader: FieldReader): ReportNode | null {
  const name = reader.text('node_name');
  if (name === null) {
    reader.issue('node row without node_name; skipped');
    return null;
  }
  return {
    name,
    type: upperCaseKnown(reader, 'node_type', NODE_TYPES),
    status: reader.text('status'),
    serialNumber: reader.text('serial_number'),
    model: reader.text('model'),
    softwareVersion: reader.text('software_version'),
    ipAddress: reader.text('ip_address'),
    disksTotal: reader.integer('disks_total'),
    disksOk: reader.integer('disks_ok'),
    cpuStatus: reader.text('cpu_status'),
    psuStatus: reader.text('psu_status'),
    fanStatus: reader.text('fan_status'),
    extra: reader.extra(KNOWN_REPORT_COLUMNS.nodes),
  };
}

export function buildReportFilesystem(reader: FieldReader): ReportFilesystem | null {
  const name = reader.text('fs_name');
  if (name === null) {
    reader.issue('file system row without fs_name; skipped');
    return null;
  }
  return {
    name,
    protocol: upperCaseKnown(reader, 'protocol', FILESYSTEM_PROTOCOLS),
    state: reader.text('state'),
    logicalUsedBytes: reader.bytes('logical_used_bytes'),
    physicalUsedBytes: reader.bytes('physical_used_bytes'),
    dedupeRatio: reader.ratio('dedupe_ratio'),
    quotaBytes: reader.bytes('quota_bytes'),
    extra: reader.extra(KNOWN_REPORT_COLUMNS.filesystems),
  };
}

export function buildReportReplication(reader: FieldReader, resolveTime: ReportTimeResolver): ReportReplication | null {
  const sourceFs = reader.text('source_fs');
  if (sourceFs === null) {
    reader.issue('replication row without source_fs; skipped');
    return null;
  }
  return {
    sourceFs,
    targetSystem: reader.text('target_system'),
    targetSerial: reader.text('target_serial'),
    targetFs: reader.text('target_fs'),
    state: reader.text('state'),
    lastSyncTime: resolvedTime(reader, 'last_sync_time', resolveTime),
    backlogBytes: reader.bytes('backlog_bytes'),
    extra: reader.extra(KNOWN_REPORT_COLUMNS.replication),
  };
}

export function buildReportActiveAlert(reader: FieldReader, resolveTime: ReportTimeResolver): ReportActiveAlert | null {
  const eventId = reader.text('event_id');
  const occurredAt = resolvedTime(reader, 'occurred_at', resolveTime);
  if (eventId === null || occurredAt === null) {
    reader.issue('active alert without a readable event_id and occurred_at; skipped');
    return null;
  }
  const node = reader.text('node_name');
  return {
    occurredAt,
    severity: reader.severity('severity'),
    eventId,
    node: node === '-' ? null : node,
    component: reader.text('component'),
    message: reader.text('message'),
    extra: reader.extra(KNOWN_REPORT_COLUMNS.activeAlerts),
  };
}
