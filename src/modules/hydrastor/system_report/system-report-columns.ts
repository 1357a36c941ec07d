/**
 * The attachment's files and their columns (formats spec §1), in one place: the body parser maps
 * its labels onto these same column names, so one set of builders reads both sources.
 */
export const REPORT_FILES = {
  system: 'system.csv',
  capacity: 'capacity.csv',
  nodes: 'nodes.csv',
  filesystems: 'filesystems.csv',
  replication: 'replication.csv',
  activeAlerts: 'alerts_active.csv',
} as const;

export type ReportPart = keyof typeof REPORT_FILES;

/** Files whose absence is normal; any other missing file except system.csv is reported. */
export const OPTIONAL_REPORT_PARTS: ReadonlySet<ReportPart> = new Set(['replication', 'activeAlerts']);

export const REPORT_COLUMNS = {
  system: ['system_name', 'serial_number', 'model', 'software_version', 'report_time', 'overall_status', 'resiliency_level', 'timezone'],
  capacity: ['report_time', 'physical_total_bytes', 'physical_used_bytes', 'physical_free_bytes', 'logical_used_bytes', 'dedupe_ratio'],
  nodes: [
    'node_name',
    'node_type',
    'status',
    'serial_number',
    'model',
    'software_version',
    'ip_address',
    'disks_total',
    'disks_ok',
    'cpu_status',
    'psu_status',
    'fan_status',
  ],
  filesystems: ['fs_name', 'protocol', 'state', 'logical_used_bytes', 'physical_used_bytes', 'dedupe_ratio', 'quota_bytes'],
  replication: ['source_fs', 'target_system', 'target_serial', 'target_fs', 'state', 'last_sync_time', 'backlog_bytes'],
  activeAlerts: ['occurred_at', 'severity', 'event_id', 'node_name', 'component', 'message'],
} as const satisfies Record<ReportPart, readonly string[]>;

export const KNOWN_REPORT_COLUMNS: Readonly<Record<ReportPart, ReadonlySet<string>>> = {
  system: new Set(REPORT_COLUMNS.system),
  capacity: new Set(REPORT_COLUMNS.capacity),
  nodes: new Set(REPORT_COLUMNS.nodes),
  filesystems: new Set(REPORT_COLUMNS.filesystems),
  replication: new Set(REPORT_COLUMNS.replication),
  activeAlerts: new Set(REPORT_COLUMNS.activeAlerts),
};

export const NODE_TYPES: ReadonlySet<string> = new Set(['AN', 'SN', 'HN']);
export const FILESYSTEM_PROTOCOLS: ReadonlySet<string> = new Set(['OST', 'NFS', 'CIFS']);
