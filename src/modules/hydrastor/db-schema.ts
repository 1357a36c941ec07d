import type { ColumnType, Generated } from 'kysely';
import type { AlertSeverity } from './common/alert-severity.js';

/**
 * Kysely types of the tables migration 0002-hydrastor-email creates. Module-local on purpose: the
 * core's Database type stays free of module tables; use `trx.withTables<HydrastorTables>()`
 * (type aliases, not interfaces: withTables needs types with an implicit index signature).
 *
 * pg returns bigint and numeric as strings (exact); writes take strings or bigint.
 */
type Timestamp = ColumnType<Date, Date | string, Date | string>;
type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
type UpdatedAt = ColumnType<Date, Date | string | undefined, Date | string>;
type Int8 = ColumnType<string, string | bigint, string | bigint>;
type Numeric = ColumnType<string, string | number, string | number>;
type Extra = ColumnType<Record<string, string>, string | undefined, string>;

export type HydrastorGridsTable = {
  id: Generated<string>;
  customer: string;
  serial_number: string;
  name: string;
  previous_names: ColumnType<string[], string[] | undefined, string[]>;
  model: string | null;
  software_version: string | null;
  overall_status: string | null;
  resiliency_level: number | null;
  timezone: string | null;
  extra: Extra;
  last_report_time: Timestamp | null;
  /** Part of the report the values came from (migration 0009); null while only alerts were seen. */
  report_source: ReportSource | null;
  last_job_id: string;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
};

type ReportSource = 'attachment' | 'body';

type ReportedRowColumns = {
  grid_id: string;
  extra: Extra;
  first_report_time: Timestamp;
  last_report_time: Timestamp;
  /** Part of the report the values came from (migration 0009); null on rows older than it. */
  report_source: ReportSource | null;
  last_job_id: string;
  updated_at: UpdatedAt;
};

export type HydrastorNodesTable = ReportedRowColumns & {
  node_name: string;
  node_type: string | null;
  status: string | null;
  serial_number: string | null;
  model: string | null;
  software_version: string | null;
  ip_address: string | null;
  disks_total: number | null;
  disks_ok: number | null;
  cpu_status: string | null;
  psu_status: string | null;
  fan_status: string | null;
};

export type HydrastorCapacitySnapshotsTable = {
  grid_id: string;
  report_time: Timestamp;
  measured_at: Timestamp;
  physical_total_bytes: Int8 | null;
  physical_used_bytes: Int8 | null;
  physical_free_bytes: Int8 | null;
  logical_used_bytes: Int8 | null;
  dedupe_ratio: Numeric | null;
  source: 'attachment' | 'body';
  extra: Extra;
  last_job_id: string;
  created_at: CreatedAt;
};

export type HydrastorFilesystemsTable = ReportedRowColumns & {
  fs_name: string;
  protocol: string | null;
  state: string | null;
  logical_used_bytes: Int8 | null;
  physical_used_bytes: Int8 | null;
  dedupe_ratio: Numeric | null;
  quota_bytes: Int8 | null;
};

export type HydrastorReplicationsTable = ReportedRowColumns & {
  id: Generated<string>;
  source_fs: string;
  target_system: string | null;
  target_fs: string | null;
  target_serial: string | null;
  state: string | null;
  last_sync_time: Timestamp | null;
  backlog_bytes: Int8 | null;
};

export type HydrastorActiveAlertsTable = ReportedRowColumns & {
  id: Generated<string>;
  event_id: string;
  /** Null for grid-wide events. */
  node_name: string | null;
  occurred_at: Timestamp;
  severity: AlertSeverity | null;
  component: string | null;
  message: string | null;
};

export type HydrastorAlertsTable = {
  id: Generated<string>;
  grid_id: string;
  event_id: string;
  /** Null for grid-wide events. */
  node_name: string | null;
  occurred_at: Timestamp;
  severity: AlertSeverity;
  event_type: 'Occurred' | 'Recovered';
  component: string | null;
  message: string | null;
  recommended_action: string | null;
  clears_event_id: string | null;
  cleared_at: Timestamp | null;
  cleared_by_alert_id: string | null;
  occurred_at_zone_assumed: string | null;
  extra: Extra;
  last_job_id: string;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
};

export type HydrastorTables = {
  hydrastor_grids: HydrastorGridsTable;
  hydrastor_nodes: HydrastorNodesTable;
  hydrastor_capacity_snapshots: HydrastorCapacitySnapshotsTable;
  hydrastor_filesystems: HydrastorFilesystemsTable;
  hydrastor_replications: HydrastorReplicationsTable;
  hydrastor_active_alerts: HydrastorActiveAlertsTable;
  hydrastor_alerts: HydrastorAlertsTable;
};
