import { labelTable } from '../../shared/text/normalize-label.js';
import { REPORT_COLUMNS } from './system-report-columns.js';

/**
 * How the mail body names what the CSV files call by column name. Table-driven: when real
 * samples show other labels, add them here. Labels are compared case- and space-insensitively;
 * a unit in parentheses (`(GiB)`, `(TiB)`) is read from the label, and GiB is assumed without one.
 */

type Column<Part extends keyof typeof REPORT_COLUMNS> = (typeof REPORT_COLUMNS)[Part][number];

export const BODY_SECTIONS = labelTable({
  capacity: ['Capacity'],
  nodes: ['Nodes', 'Node'],
  filesystems: ['File Systems', 'Filesystems', 'File System'],
  replication: ['Replication'],
  activeAlerts: ['Active Alerts', 'Alerts'],
});

/** Sections a body-only report should have (part → heading); the others may be absent. */
export const REQUIRED_BODY_SECTIONS: ReadonlyMap<string, string> = new Map([
  ['capacity', 'Capacity'],
  ['nodes', 'Nodes'],
]);

export const SYSTEM_LABELS = labelTable<Column<'system'>>({
  system_name: ['System Name', 'Grid Name'],
  serial_number: ['System Serial Number', 'Serial Number', 'System S/N', 'S/N'],
  model: ['Model'],
  software_version: ['Software Version', 'SW Version'],
  report_time: ['Report Time', 'Report Date/Time'],
  overall_status: ['Overall Status'],
  resiliency_level: ['Resiliency Level'],
  timezone: ['Timezone', 'Time Zone'],
});

/** Keyed by the label without its unit. */
export const CAPACITY_LABELS = labelTable<Exclude<Column<'capacity'>, 'report_time'>>({
  physical_total_bytes: ['Physical Capacity Total', 'Physical Total'],
  physical_used_bytes: ['Physical Capacity Used', 'Physical Used'],
  physical_free_bytes: ['Physical Capacity Free', 'Physical Free'],
  logical_used_bytes: ['Logical Capacity Used', 'Logical Used'],
  dedupe_ratio: ['Deduplication Ratio', 'Dedupe Ratio', 'Dedup Ratio'],
});

/** `Disks(OK/Total)` holds two columns in one cell: `11/12`. */
export const DISKS_OK_TOTAL_HEADINGS = labelTable({ disks_ok_total: ['Disks(OK/Total)', 'Disks OK/Total'] });

export const NODE_HEADINGS = labelTable<Column<'nodes'>>({
  node_name: ['Node', 'Node Name'],
  node_type: ['Type', 'Node Type'],
  status: ['Status'],
  serial_number: ['Serial', 'Serial Number', 'S/N'],
  model: ['Model'],
  software_version: ['SW Version', 'Software Version', 'Version'],
  ip_address: ['IP', 'IP Address'],
  disks_total: ['Disks Total', 'Disks'],
  disks_ok: ['Disks OK'],
  cpu_status: ['CPU', 'CPU Status'],
  psu_status: ['PSU', 'PSU Status', 'Power'],
  fan_status: ['Fan', 'Fans', 'Fan Status'],
});

export const FILESYSTEM_HEADINGS = labelTable<Column<'filesystems'>>({
  fs_name: ['File System', 'Filesystem', 'FS Name', 'FS', 'Name'],
  protocol: ['Protocol'],
  state: ['State', 'Status'],
  logical_used_bytes: ['Logical Used'],
  physical_used_bytes: ['Physical Used'],
  dedupe_ratio: ['Dedupe Ratio', 'Deduplication Ratio', 'Ratio'],
  quota_bytes: ['Quota'],
});

export const REPLICATION_HEADINGS = labelTable<Column<'replication'>>({
  source_fs: ['Source FS', 'Source File System', 'Source'],
  target_system: ['Target System', 'Target'],
  target_serial: ['Target Serial', 'Target S/N'],
  target_fs: ['Target FS', 'Target File System'],
  state: ['State', 'Status'],
  last_sync_time: ['Last Sync', 'Last Sync Time'],
  backlog_bytes: ['Backlog'],
});

export const ACTIVE_ALERT_HEADINGS = labelTable<Column<'activeAlerts'>>({
  occurred_at: ['Occurred At', 'Occurred', 'Date/Time', 'Time'],
  severity: ['Severity'],
  event_id: ['Event ID', 'Event'],
  node_name: ['Node'],
  component: ['Component'],
  message: ['Message', 'Summary'],
});
