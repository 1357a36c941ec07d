import { sql, type Kysely } from 'kysely';
import type { Database } from '../../src/db/database-schema.js';

export const CONSOLE_BENCH_CUSTOMERS = 20;

/**
 * What the console shows over a large installation, in a few statements: `jobs` spread evenly
 * over the last `days` up to now (so the overview's 24 h window holds jobs / days of them), mostly
 * succeeded with failed, queued, timed-out, cancelled and unclassified ones, five sources, 20
 * customers, 7 groups each; a timeline for one job in 100; the sources table as staging keeps it;
 * and refused arrivals over 30 days.
 */
export async function loadConsoleData(db: Kysely<Database>, args: { readonly jobs: number; readonly days: number; readonly refused: number }): Promise<void> {
  const spacingSeconds = (args.days * 86_400) / args.jobs;
  await sql`
    INSERT INTO jobs (idempotency_key, source, source_ref, customer, category, type, group_name, status, max_attempts, timeout_seconds,
      error_code, error_message, stats, relative_path, staging_id, manifest, node, received_at, started_at, finished_at, run_after)
    SELECT 'bench:' || n, src,
      jsonb_build_object('messageId', '<' || n || '@grid.example>'),
      'customer_' || lpad((n % ${CONSOLE_BENCH_CUSTOMERS})::text, 2, '0'),
      CASE WHEN st = 'unclassified' THEN 'unclassified' ELSE 'hydrastor' END,
      CASE WHEN st = 'unclassified' THEN src ELSE (ARRAY['system_report','alert','veritas2hview'])[1 + n % 3] END,
      CASE WHEN st = 'unclassified' THEN 'unclassified' ELSE 'grid_' || (n % 7) END,
      st, 5, 3600,
      CASE WHEN st = 'failed' THEN 'HYDRASTOR_REPORT_INCOMPLETE' WHEN st = 'timed_out' THEN 'JOB_TIMEOUT' END,
      CASE WHEN st = 'failed' THEN 'line 3: bad value' WHEN st = 'timed_out' THEN 'ran longer than 3600 s' END,
      CASE WHEN st = 'succeeded' THEN jsonb_build_object('hydrastor_nodes', n % 9) ELSE '{}'::jsonb END,
      'bench/' || n, 'bench-' || n,
      jsonb_build_object('files', jsonb_build_array(
          jsonb_build_object('name', 'message.eml', 'size', 40000 + n % 1000, 'sha256', md5(n::text), 'role', 'message'),
          jsonb_build_object('name', 'body.txt', 'size', 900, 'sha256', md5(n::text || 'b'), 'role', 'body', 'contentType', 'text/plain; charset=utf-8')),
        'hints', jsonb_build_object('subject', 'HYDRAstor System Report grid_' || (n % 7) || ' #' || n, 'from', 'grid' || (n % 7) || '@example.com')),
      'bench', at, at + interval '5 seconds',
      CASE WHEN st IN ('succeeded', 'failed', 'timed_out', 'cancelled') THEN at + interval '9 seconds' END,
      at
    FROM generate_series(1, ${args.jobs}) AS n,
      LATERAL (SELECT now() - (${args.jobs} - n) * make_interval(secs => ${spacingSeconds}) AS at,
                      (ARRAY['smtp','s3','api','mailhandler','webhook'])[1 + (n / 7) % 5] AS src,
                      CASE WHEN (n / ${CONSOLE_BENCH_CUSTOMERS}) % 100 < 90 THEN 'succeeded' WHEN (n / ${CONSOLE_BENCH_CUSTOMERS}) % 100 < 95 THEN 'failed'
                           WHEN (n / ${CONSOLE_BENCH_CUSTOMERS}) % 100 < 97 THEN 'queued' WHEN (n / ${CONSOLE_BENCH_CUSTOMERS}) % 100 < 98 THEN 'timed_out'
                           WHEN (n / ${CONSOLE_BENCH_CUSTOMERS}) % 100 < 99 THEN 'cancelled' ELSE 'unclassified' END AS st) AS shape`.execute(db);
  await sql`
    INSERT INTO job_events (job_id, at, kind, status, message)
    SELECT id, received_at + (k || ' seconds')::interval, (ARRAY['staged','claimed','finished'])[k], status, 'bench event ' || k
      FROM jobs, generate_series(1, 3) AS k
     WHERE idempotency_key LIKE 'bench:%00'`.execute(db);
  await sql`
    INSERT INTO sources (customer, category, type, group_name, first_received_at, last_received_at, last_job_id, arrivals)
    SELECT DISTINCT ON (customer, category, type, group_name)
           customer, category, type, group_name, min(received_at) OVER w, received_at, id, count(*) OVER w
      FROM jobs WHERE status <> 'unclassified'
    WINDOW w AS (PARTITION BY customer, category, type, group_name)
     ORDER BY customer, category, type, group_name, received_at DESC, id DESC`.execute(db);
  await sql`
    INSERT INTO refused_arrivals (at, node, source, stage, code, message, reply, customer, sender, recipients, client_address)
    SELECT now() - n * make_interval(secs => ${(30 * 86_400) / Math.max(1, args.refused)}), 'bench', 'smtp', 'RCPT TO',
      CASE WHEN n % 3 = 0 THEN 'RECIPIENT_UNKNOWN' ELSE 'SENDER_NOT_ALLOWED' END, 'refused ' || n, '550 5.7.1 refused',
      CASE WHEN n % 3 = 0 THEN NULL ELSE 'customer_' || lpad((n % ${CONSOLE_BENCH_CUSTOMERS})::text, 2, '0') END,
      'sender' || n || '@example.com', ARRAY['customer_' || lpad((n % ${CONSOLE_BENCH_CUSTOMERS})::text, 2, '0') || '@ingest.example'], '192.0.2.' || (n % 250)
    FROM generate_series(1, ${args.refused}) AS n`.execute(db);
  await sql`ANALYZE`.execute(db);
}
