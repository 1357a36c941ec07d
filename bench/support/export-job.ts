import { setTimeout as sleep } from 'node:timers/promises';
import type { BenchService } from './bench-service.js';
import { BENCH_CUSTOMER } from './bench-service.js';
import { withAdmin } from './scratch-database.js';

const POLL_MS = 200;
const EXPORT_TIMEOUT_MS = 60 * 60 * 1000;

export interface ExportJobResult {
  readonly jobId: string;
  readonly status: string;
  /** Claim → final state (the job's `claimed` and `finished` events). */
  readonly runSeconds: number;
  /** Committed (`staged` event) → final state. */
  readonly totalSeconds: number;
  readonly stats: Readonly<Record<string, unknown>>;
  readonly error: string | null;
}

/**
 * Hands an export to a running service the way an operator would (`dataprocessor ingest <file>
 * --type hydrastor/veritas2hview`, a separate process staging into the same data root); resolves
 * with the job id once that process has committed the job.
 */
export async function submitExportJob(bench: BenchService, archive: string): Promise<string> {
  const output = await bench.service.cli(['ingest', archive, '--customer', BENCH_CUSTOMER, '--type', 'hydrastor/veritas2hview', '--group', 'icecream_machine']);
  const { id } = JSON.parse(output.trim().split('\n').pop() ?? '{}') as { id?: string };
  if (id === undefined) throw new Error(`ingest printed no job id: ${output}`);
  return id;
}

/** Resolves once the service's worker has claimed the job (or it is already final). */
export async function waitUntilRunning(bench: BenchService, jobId: string): Promise<void> {
  const deadline = Date.now() + EXPORT_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const status = await withAdmin(
      bench.database.url,
      async (client) => (await client.query<{ status: string }>('SELECT status FROM jobs WHERE id = $1', [jobId])).rows[0]?.status,
    );
    if (status !== undefined && status !== 'queued' && status !== 'staging') return;
    await sleep(POLL_MS / 4);
  }
  throw new Error(`export job ${jobId} was not claimed in time`);
}

/** Waits until the job is final and reads its own timings (started_at/finished_at) and stats. */
export async function waitForExportJob(bench: BenchService, jobId: string): Promise<ExportJobResult> {
  const deadline = Date.now() + EXPORT_TIMEOUT_MS;
  for (;;) {
    // The job's own timestamps are transaction start times (now()): finished_at is when the final
    // transaction began, before a long upsert committed. The events carry clock_timestamp().
    const row = await withAdmin(
      bench.database.url,
      async (client) =>
        (
          await client.query<{
            status: string;
            stats: Record<string, unknown>;
            error_message: string | null;
            run_s: number | null;
            total_s: number | null;
          }>(
            `SELECT j.status, j.stats, j.error_message,
          extract(epoch FROM f.at - (SELECT max(at) FROM job_events WHERE job_id = j.id AND kind = 'claimed'))::float8 AS run_s,
          extract(epoch FROM f.at - (SELECT min(at) FROM job_events WHERE job_id = j.id AND kind = 'staged'))::float8 AS total_s
        FROM jobs j LEFT JOIN LATERAL (SELECT max(at) AS at FROM job_events WHERE job_id = j.id AND kind = 'finished') f ON true
        WHERE j.id = $1`,
            [jobId],
          )
        ).rows[0],
    );
    if (row !== undefined && ['succeeded', 'failed', 'timed_out', 'cancelled'].includes(row.status)) {
      return {
        jobId,
        status: row.status,
        runSeconds: row.run_s ?? Number.NaN,
        totalSeconds: row.total_s ?? Number.NaN,
        stats: row.stats,
        error: row.error_message,
      };
    }
    if (Date.now() > deadline) throw new Error(`export job ${jobId} not finished after ${EXPORT_TIMEOUT_MS} ms (${row?.status ?? 'missing'})`);
    await sleep(POLL_MS);
  }
}
