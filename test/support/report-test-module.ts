import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { sql, type Kysely } from 'kysely';
import { parseResult } from '../../src/modules/parse-result.js';
import type { IngestModule } from '../../src/modules/types.js';
import type { Arrival } from '../../src/pipeline/accept.js';

/**
 * A report module shaped like the real ones (`test/report`): the input names a grid and its
 * state at a report time; upsert keeps one row per (customer, grid) on its natural key, newest
 * report wins, and records the job that last wrote it. Running it twice on the same input
 * changes nothing but `last_job_id`: what a replay after a no-op parser change must show.
 */
export interface GridReport {
  readonly grid: string;
  readonly capacityBytes: number;
  readonly reportTime: string;
}

export const reportModule = {
  category: 'test',
  type: 'report',
  version: 1,
  group: (facts) => facts.hints.grid ?? 'grid',
  async parse(context) {
    const file = context.files[0]!;
    return parseResult(JSON.parse(await readFile(path.join(context.workDir, file.name), 'utf8')) as GridReport);
  },
  async upsert(trx, { records: report }, context) {
    await sql`
      INSERT INTO test_report_grids (customer, grid, capacity_bytes, report_time, last_job_id)
      VALUES (${context.customer}, ${report.grid}, ${report.capacityBytes}, ${report.reportTime}, ${context.jobId})
      ON CONFLICT (customer, grid) DO UPDATE SET
        capacity_bytes = excluded.capacity_bytes, report_time = excluded.report_time, last_job_id = excluded.last_job_id
      WHERE test_report_grids.report_time <= excluded.report_time`.execute(trx);
    return { test_report_grids: 1 };
  },
} satisfies IngestModule<GridReport>;

export async function createReportTable(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE IF NOT EXISTS test_report_grids (
      customer text NOT NULL, grid text NOT NULL, capacity_bytes bigint NOT NULL, report_time timestamptz NOT NULL, last_job_id uuid NOT NULL,
      PRIMARY KEY (customer, grid)
    )`.execute(db);
}

export function reportArrival(customer: string, report: GridReport, receivedAt: Date): Arrival {
  return {
    source: 'smtp',
    customer,
    receivedAt,
    moduleKey: 'test/report',
    group: report.grid,
    hints: { subject: `System Report ${report.grid}`, grid: report.grid },
    writeFiles: async (folder) => {
      await folder.writeFile({ name: 'report.json', source: JSON.stringify(report), originalName: `${report.grid}.json`, role: 'attachment' });
    },
  };
}
