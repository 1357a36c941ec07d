import type { Transaction } from 'kysely';
import type { Database } from '../../../db/database-schema.js';
import type { ModuleContext, ParseResult, UpsertStats } from '../../types.js';
import { findGrid } from '../db/find-grid.js';
import { upsertReportedRows } from '../db/upsert-reported-rows.js';
import { readSystemReport, type ParsedSystemReport } from './load-system-report.js';
import { activeAlertRows, filesystemRows, nodeRows, replicationRows } from './report-table-rows.js';
import { upsertCapacitySnapshot } from './upsert-capacity-snapshot.js';
import { upsertGridFromReport } from './upsert-grid.js';
import type { SystemReport } from './system-report-types.js';

/**
 * A report that names no time zone is read again in the grid's known zone (an earlier report's),
 * so that its times without an offset are not taken as UTC. Reports are small: reading twice is cheap.
 */
async function reportInKnownZone(trx: Transaction<Database>, parsed: ParsedSystemReport, customer: string): Promise<SystemReport> {
  if (parsed.report.system.timezone !== null) return parsed.report;
  const grid = await findGrid(trx, { customer, serialNumber: parsed.report.system.serialNumber });
  return grid?.timezone === null || grid?.timezone === undefined ? parsed.report : readSystemReport(parsed.input, grid.timezone);
}

/**
 * Stores one system report in the job's transaction: the grid (by serial), its nodes, a capacity
 * snapshot, its file systems (OST LSUs among them), replication pairs and active alerts. Counts
 * only rows actually inserted or changed, so ingesting the same report again reports zeros.
 */
export async function upsertSystemReport(trx: Transaction<Database>, parsed: ParseResult<ParsedSystemReport>, context: ModuleContext): Promise<UpsertStats> {
  const report = await reportInKnownZone(trx, parsed.records, context.customer);
  // Read again in the grid's zone: its issues replace the first reading's ("read as UTC").
  if (report !== parsed.records.report) parsed.issues.replaceAll(report.issues);
  if (report.ignored.length > 0) context.logger.info('system report: parts not read', { ignored: report.ignored });
  const grid = await upsertGridFromReport(trx, { customer: context.customer, system: report.system, source: report.source, jobId: context.jobId });
  const listed = { gridId: grid.gridId, reportTime: report.system.reportTime, reportSource: report.source, jobId: context.jobId };
  return {
    hydrastor_grids: grid.written ? 1 : 0,
    hydrastor_capacity_snapshots: await upsertCapacitySnapshot(trx, { gridId: grid.gridId, report, jobId: context.jobId }),
    hydrastor_nodes: await upsertReportedRows(trx, { ...nodeRows(report), ...listed }),
    hydrastor_filesystems: await upsertReportedRows(trx, { ...filesystemRows(report), ...listed }),
    hydrastor_replications: await upsertReportedRows(trx, { ...replicationRows(report), ...listed }),
    hydrastor_active_alerts: await upsertReportedRows(trx, { ...activeAlertRows(report), ...listed }),
    parse_issues: parsed.issues.count,
  };
}
