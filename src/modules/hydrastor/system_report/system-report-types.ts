import type { AlertSeverity } from '../common/alert-severity.js';
import type { ParseIssue } from '../../parse-issue.js';

/**
 * One daily report, the same shape whether it was read from the attachment's CSV files or from
 * the mail body, so that the upsert has a single input. Natural key: `system.serialNumber` +
 * `system.reportTime` (grids get renamed; the serial stays).
 *
 * Values the source did not give are null. `extra` keeps unknown columns / labels as written.
 */
export interface SystemReport {
  readonly source: 'attachment' | 'body';
  readonly system: ReportSystem;
  /** Null when the source had no capacity figures (missing capacity.csv). */
  readonly capacity: ReportCapacity | null;
  readonly nodes: readonly ReportNode[];
  readonly filesystems: readonly ReportFilesystem[];
  readonly replication: readonly ReportReplication[];
  readonly activeAlerts: readonly ReportActiveAlert[];
  /** Files (attachment) or `[Sections]` (body) that were present but not read. */
  readonly ignored: readonly string[];
  readonly issues: readonly ParseIssue[];
}

export interface ReportSystem {
  /** The grid name; the group of the job. */
  readonly name: string;
  readonly serialNumber: string;
  readonly model: string | null;
  readonly softwareVersion: string | null;
  readonly reportTime: Date;
  readonly overallStatus: string | null;
  readonly resiliencyLevel: number | null;
  /** IANA zone of the grid when the report names it (system.csv `timezone`). */
  readonly timezone: string | null;
  readonly extra: Readonly<Record<string, string>>;
}

export interface ReportCapacity {
  readonly reportTime: Date;
  readonly physicalTotalBytes: bigint | null;
  readonly physicalUsedBytes: bigint | null;
  readonly physicalFreeBytes: bigint | null;
  readonly logicalUsedBytes: bigint | null;
  /** N of "N : 1". */
  readonly dedupeRatio: number | null;
  readonly extra: Readonly<Record<string, string>>;
}

export interface ReportNode {
  readonly name: string;
  /** AN (accelerator), SN (storage) or HN (hybrid); other values are kept and reported. */
  readonly type: string | null;
  readonly status: string | null;
  readonly serialNumber: string | null;
  readonly model: string | null;
  readonly softwareVersion: string | null;
  readonly ipAddress: string | null;
  readonly disksTotal: number | null;
  readonly disksOk: number | null;
  readonly cpuStatus: string | null;
  readonly psuStatus: string | null;
  readonly fanStatus: string | null;
  readonly extra: Readonly<Record<string, string>>;
}

export interface ReportFilesystem {
  /** For OST, the LSU name NetBackup sees. */
  readonly name: string;
  /** OST, NFS or CIFS (upper case); other values are kept and reported. */
  readonly protocol: string | null;
  readonly state: string | null;
  readonly logicalUsedBytes: bigint | null;
  readonly physicalUsedBytes: bigint | null;
  readonly dedupeRatio: number | null;
  readonly quotaBytes: bigint | null;
  readonly extra: Readonly<Record<string, string>>;
}

export interface ReportReplication {
  readonly sourceFs: string;
  readonly targetSystem: string | null;
  readonly targetSerial: string | null;
  readonly targetFs: string | null;
  readonly state: string | null;
  readonly lastSyncTime: Date | null;
  readonly backlogBytes: bigint | null;
  readonly extra: Readonly<Record<string, string>>;
}

export interface ReportActiveAlert {
  readonly occurredAt: Date;
  readonly severity: AlertSeverity | null;
  readonly eventId: string;
  /** Null for grid-wide events (`-`). */
  readonly node: string | null;
  readonly component: string | null;
  readonly message: string | null;
  readonly extra: Readonly<Record<string, string>>;
}
