import { createReadStream } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { sql } from 'kysely';
import type { JobRow } from '../../../../../src/db/database-schema.js';
import type { TestService } from '../../../../support/start-test-service.js';

export const VERITAS_MODULE_KEY = 'hydrastor/veritas2hview';

/** Every table the module writes, parents first. */
export const VERITAS_TABLES = [
  'veritas_master_servers',
  'veritas_exports',
  'veritas_storage_servers',
  'veritas_disk_pools',
  'veritas_disk_volumes',
  'veritas_storage_units',
  'veritas_jobs',
  'veritas_images',
  'veritas_image_fragments',
] as const;

const FINAL_STATUSES = ['succeeded', 'failed', 'timed_out', 'cancelled'] as const;

/** Uploads an archive the way the S3 transport stages it (role "object") and waits for its job to end. */
export async function ingestExport(
  t: TestService,
  args: {
    readonly archivePath: string;
    readonly originalName?: string;
    readonly customer?: string;
    readonly group?: string;
    readonly timeoutMs?: number;
  },
): Promise<JobRow> {
  const { job } = await t.service.accept({
    source: 'api',
    customer: args.customer ?? 'bobs_burgers',
    moduleKey: VERITAS_MODULE_KEY,
    group: args.group ?? 'icecream_machine',
    writeFiles: async (folder) => {
      await folder.writeFile({
        name: 'object.bin',
        source: createReadStream(args.archivePath),
        originalName: args.originalName ?? path.basename(args.archivePath),
        role: 'object',
      });
    },
  });
  return t.waitForStatus(job.id, FINAL_STATUSES, args.timeoutMs ?? 30_000);
}

/** A digest of every row of every module table (all columns, last_job_id and timestamps included). */
export async function tableChecksums(t: TestService): Promise<Record<string, string>> {
  const sums: Record<string, string> = {};
  for (const table of VERITAS_TABLES) {
    const result = await sql<{ rows: string; digest: string | null }>`
      SELECT count(*)::text AS rows, md5(string_agg(row_text, '|' ORDER BY row_text)) AS digest
      FROM (SELECT t::text AS row_text FROM ${sql.table(table)} t) rows`.execute(t.service.database.db);
    sums[table] = `${result.rows[0]?.rows}:${result.rows[0]?.digest ?? '-'}`;
  }
  return sums;
}

export async function countRows(t: TestService, query: ReturnType<typeof sql<{ count: string }>>): Promise<number> {
  const result = await query.execute(t.service.database.db);
  return Number(result.rows[0]?.count);
}

/** Files left under tmp/ (the worker removes a job's folder after recording its outcome). */
export async function tmpFiles(t: TestService, waitMs = 3000): Promise<string[]> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const entries = await readdir(path.join(t.dataRoot, 'tmp'), { recursive: true, withFileTypes: true }).catch(() => []);
    const files = entries.filter((entry) => !entry.isDirectory()).map((entry) => path.join(entry.parentPath, entry.name));
    if (files.length === 0 || Date.now() > deadline) return files;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
