import type { ReportedRowsArgs } from '../db/upsert-reported-rows.js';
import type { SystemReport } from './system-report-types.js';

/** How each listed part of a report maps onto its table (see upsertReportedRows). */
export type ReportedTable = Pick<ReportedRowsArgs, 'table' | 'conflictTarget' | 'keyColumns' | 'valueColumns' | 'rows' | 'rowKey'>;

const GRID_WIDE_NODE = '-';

export function nodeRows(report: SystemReport): ReportedTable {
  return {
    table: 'hydrastor_nodes',
    conflictTarget: 'grid_id, node_name',
    keyColumns: [{ name: 'node_name', type: 'text' }],
    valueColumns: [
      { name: 'node_type', type: 'text' },
      { name: 'status', type: 'text' },
      { name: 'serial_number', type: 'text' },
      { name: 'model', type: 'text' },
      { name: 'software_version', type: 'text' },
      { name: 'ip_address', type: 'text' },
      { name: 'disks_total', type: 'integer' },
      { name: 'disks_ok', type: 'integer' },
      { name: 'cpu_status', type: 'text' },
      { name: 'psu_status', type: 'text' },
      { name: 'fan_status', type: 'text' },
    ],
    rows: report.nodes.map((node) => ({
      node_name: node.name,
      node_type: node.type,
      status: node.status,
      serial_number: node.serialNumber,
      model: node.model,
      software_version: node.softwareVersion,
      ip_address: node.ipAddress,
      disks_total: node.disksTotal,
      disks_ok: node.disksOk,
      cpu_status: node.cpuStatus,
      psu_status: node.psuStatus,
      fan_status: node.fanStatus,
      extra: node.extra,
    })),
    rowKey: (row) => String(row['node_name']),
  };
}

export function filesystemRows(report: SystemReport): ReportedTable {
  return {
    table: 'hydrastor_filesystems',
    conflictTarget: 'grid_id, fs_name',
    keyColumns: [{ name: 'fs_name', type: 'text' }],
    valueColumns: [
      { name: 'protocol', type: 'text' },
      { name: 'state', type: 'text' },
      { name: 'logical_used_bytes', type: 'bigint' },
      { name: 'physical_used_bytes', type: 'bigint' },
      { name: 'dedupe_ratio', type: 'numeric' },
      { name: 'quota_bytes', type: 'bigint' },
    ],
    rows: report.filesystems.map((fs) => ({
      fs_name: fs.name,
      protocol: fs.protocol,
      state: fs.state,
      logical_used_bytes: fs.logicalUsedBytes,
      physical_used_bytes: fs.physicalUsedBytes,
      dedupe_ratio: fs.dedupeRatio,
      quota_bytes: fs.quotaBytes,
      extra: fs.extra,
    })),
    rowKey: (row) => String(row['fs_name']),
  };
}

export function replicationRows(report: SystemReport): ReportedTable {
  return {
    table: 'hydrastor_replications',
    conflictTarget: "grid_id, source_fs, (coalesce(target_system, target_serial, '')), (coalesce(target_fs, ''))",
    keyColumns: [
      { name: 'source_fs', type: 'text' },
      { name: 'target_system', type: 'text' },
      { name: 'target_fs', type: 'text' },
    ],
    valueColumns: [
      { name: 'target_serial', type: 'text' },
      { name: 'state', type: 'text' },
      { name: 'last_sync_time', type: 'timestamptz' },
      { name: 'backlog_bytes', type: 'bigint' },
    ],
    rows: report.replication.map((pair) => ({
      source_fs: pair.sourceFs,
      target_system: pair.targetSystem,
      target_fs: pair.targetFs,
      target_serial: pair.targetSerial,
      state: pair.state,
      last_sync_time: pair.lastSyncTime,
      backlog_bytes: pair.backlogBytes,
      extra: pair.extra,
    })),
    rowKey: (row) => JSON.stringify([row['source_fs'], row['target_system'] ?? row['target_serial'] ?? '', row['target_fs'] ?? '']),
  };
}

export function activeAlertRows(report: SystemReport): ReportedTable {
  return {
    table: 'hydrastor_active_alerts',
    conflictTarget: `grid_id, event_id, (coalesce(node_name, '${GRID_WIDE_NODE}')), occurred_at`,
    keyColumns: [
      { name: 'event_id', type: 'text' },
      { name: 'node_name', type: 'text' },
      { name: 'occurred_at', type: 'timestamptz' },
    ],
    valueColumns: [
      { name: 'severity', type: 'text' },
      { name: 'component', type: 'text' },
      { name: 'message', type: 'text' },
    ],
    rows: report.activeAlerts.map((alert) => ({
      event_id: alert.eventId,
      node_name: alert.node,
      occurred_at: alert.occurredAt,
      severity: alert.severity,
      component: alert.component,
      message: alert.message,
      extra: alert.extra,
    })),
    rowKey: (row) => JSON.stringify([row['event_id'], row['node_name'] ?? GRID_WIDE_NODE, (row['occurred_at'] as Date).getTime()]),
  };
}
