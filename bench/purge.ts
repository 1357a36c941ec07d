// The retention purge at scale: 1,000,000 job rows (with their events) and 100,000 job folders,
// and what it costs concurrent SMTP acceptance.
//
//   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npx tsx bench/purge.ts [--jobs 1000000] [--folders 100000] [--batch 500]
//   (or: npm run bench -- --purge)
//
// Makes a scratch database and data root, loads the jobs with one INSERT … SELECT generate_series
// (final, ended 500 days ago, one event each; one in jobs/folders also archived), writes one small
// original per folder under inbox/, then runs the real PurgeTask (jobDays 400, inboxDays 300,
// archiveDays 300) while an "acceptor" inserts and queues one job per transaction, the way an SMTP
// arrival commits (INSERT staging row, UPDATE to queued), on its own connection. Reports the purge
// rate and the acceptor's slowest commit and its lock waits (pg_stat_activity, sampled every 10 ms)
// during the purge, against a baseline without it.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { sql, type Kysely } from 'kysely';
import { loadConfig } from '../src/config/load-config.js';
import type { Database } from '../src/db/database-schema.js';
import { migrateToLatest } from '../src/db/migrate-to-latest.js';
import { openDatabase } from '../src/db/open-database.js';
import { PurgeTask } from '../src/lifecycle/purge-task.js';
import { Logging } from '../src/logging/logging.js';
import { makeWorkRoot } from './support/bench-context.js';
import { quantile } from './support/bench-result.js';
import { createScratchDatabase } from './support/scratch-database.js';

const { values } = parseArgs({
  options: {
    jobs: { type: 'string', default: '1000000' },
    folders: { type: 'string', default: '100000' },
    batch: { type: 'string', default: '500' },
    'database-url': { type: 'string' },
  },
});
const jobCount = Number(values.jobs);
const folderCount = Math.min(Number(values.folders), jobCount);
const batchSize = Number(values.batch);
const serverUrl = values['database-url'] ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const BASELINE_MS = 5_000;

const scratch = await createScratchDatabase(serverUrl, 'dp_bench_purge');
const workRoot = await makeWorkRoot();
const dataRoot = path.join(workRoot, 'data');
const logging = new Logging({ logDir: path.join(workRoot, 'log'), level: 'warn', console: false });
const database = await openDatabase({ url: scratch.url, dataRoot, embeddedPort: 0, poolSize: 4, logger: logging.for('database') });
const acceptorDb = await openDatabase({ url: scratch.url, dataRoot, embeddedPort: 0, poolSize: 1, logger: logging.for('database') });
try {
  const { db } = database;
  await migrateToLatest(db);
  let started = performance.now();
  await loadJobs(db);
  console.log(`loaded ${jobCount} jobs with their events in ${seconds(started)} s`);
  started = performance.now();
  await writeFolders();
  console.log(`wrote ${folderCount} inbox folders (${Math.floor(folderCount / 10)} with an archive copy) in ${seconds(started)} s`);

  const baseline = await accepting(acceptorDb.db, () => new Promise((resolve) => setTimeout(resolve, BASELINE_MS)));
  console.log(`acceptor alone: ${describe(baseline)}`);

  const config = loadConfig({
    env: {},
    overrides: {
      dataRoot,
      database: { url: scratch.url },
      sharedDataRoot: true,
      retention: {
        enabled: false,
        batchSize,
        pauseMs: 0,
        defaults: { inboxDays: 300, inboxDaysWhenArchived: 300, archiveDays: 300, jobDays: 400, failedArrivalDays: 400, unclassifiedDays: null },
        overrides: [],
      },
    },
  });
  const task = new PurgeTask({ db, config, nodeName: 'bench', logger: logging.for('retention') });
  const reports: Awaited<ReturnType<PurgeTask['run']>>[] = [];
  started = performance.now();
  const during = await accepting(acceptorDb.db, async () => {
    reports.push(await task.run({ trigger: 'manual', dryRun: false }));
  });
  const purgeSeconds = (performance.now() - started) / 1000;
  const report = reports[0];
  if (report === undefined || report === 'busy') throw new Error('the purge lock was taken');
  const { totals, outcome } = report;
  const left = await sql<{ n: string }>`SELECT count(*) AS n FROM jobs WHERE status = 'succeeded' AND idempotency_key LIKE 'bench:%'`.execute(db);
  console.log(
    `purge ${outcome}: ${totals.count} jobs, ${totals.bytes} bytes in ${purgeSeconds.toFixed(1)} s: ${(totals.count / purgeSeconds).toFixed(0)} jobs/s (batch ${batchSize}, pause 0); rows left ${left.rows[0]?.n}`,
  );
  console.log(`acceptor during the purge: ${describe(during)}`);
} finally {
  await acceptorDb.close();
  await database.close();
  await scratch.drop();
  await rm(workRoot, { recursive: true, force: true });
  await logging.close();
}

async function loadJobs(db: Kysely<Database>): Promise<void> {
  await sql`
    INSERT INTO jobs (idempotency_key, source, source_ref, customer, category, type, group_name, status, max_attempts, timeout_seconds,
      stats, relative_path, staging_id, manifest, node, received_at, started_at, finished_at)
    SELECT 'bench:' || n, 'smtp', '{}'::jsonb, 'customer_' || lpad((n % 20)::text, 2, '0'), 'hydrastor', 'system_report', 'grid_' || (n % 7),
      'succeeded', 5, 3600, '{}'::jsonb, ${relativePathSql()}, 'bench-' || n,
      jsonb_build_object('files', jsonb_build_array(jsonb_build_object('name', 'message.eml', 'size', 4096))), 'bench',
      now() - interval '500 days' + n * interval '1 second', now() - interval '500 days' + n * interval '1 second', now() - interval '500 days' + n * interval '1 second'
    FROM generate_series(1, ${jobCount}) AS n`.execute(db);
  await sql`
    INSERT INTO job_events (job_id, kind, status, message, data)
    SELECT id, 'finished', 'succeeded', 'succeeded: 1 row',
      CASE WHEN substring(idempotency_key FROM 7)::int <= ${folderCount} AND substring(idempotency_key FROM 7)::int % 10 = 0 THEN '{"archived": true}'::jsonb ELSE '{}'::jsonb END
    FROM jobs`.execute(db);
  await sql`ANALYZE jobs`.execute(db);
  await sql`ANALYZE job_events`.execute(db);
}

function relativePathSql() {
  return sql`'customer_' || lpad((n % 20)::text, 2, '0') || '/hydrastor/system_report/grid_' || (n % 7) || '/' || lpad(n::text, 8, '0')`;
}

/** One small original per folder, for the first `folderCount` jobs; every tenth also archived. */
async function writeFolders(): Promise<void> {
  const body = Buffer.alloc(4096, 'x');
  for (let n = 1; n <= folderCount; n += 1) {
    const relative = `customer_${String(n % 20).padStart(2, '0')}/hydrastor/system_report/grid_${n % 7}/${String(n).padStart(8, '0')}`;
    for (const area of n % 10 === 0 ? ['inbox', 'archive'] : ['inbox']) {
      const dir = path.join(dataRoot, area, relative);
      await mkdir(dir, { recursive: true });
      await writeFile(path.join(dir, 'message.eml'), body);
    }
  }
}

interface AcceptorResult {
  readonly commits: number;
  readonly latenciesMs: number[];
  readonly maxLockWaitMs: number;
}

/** Commits arrivals one by one on its own connection while `during` runs; measures each commit and any lock wait. */
async function accepting(db: Kysely<Database>, during: () => Promise<void>): Promise<AcceptorResult> {
  const pid = Number((await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`.execute(db)).rows[0]?.pid);
  let running = true;
  const latenciesMs: number[] = [];
  let maxLockWaitMs = 0;
  let waitingSince: number | null = null;
  const sampler = setInterval(() => {
    void sql<{ waiting: boolean }>`SELECT wait_event_type = 'Lock' AS waiting FROM pg_stat_activity WHERE pid = ${pid}`
      .execute(database.db)
      .then(({ rows }) => {
        const now = performance.now();
        if (rows[0]?.waiting === true) {
          waitingSince ??= now;
          maxLockWaitMs = Math.max(maxLockWaitMs, now - waitingSince);
        } else waitingSince = null;
      });
  }, 10);
  const loop = (async () => {
    for (let i = 0; running; i += 1) {
      const key = `accept:${process.pid}:${Date.now()}:${i}`;
      const begin = performance.now();
      await db.transaction().execute(async (trx) => {
        const row = await sql<{ id: string }>`
          INSERT INTO jobs (idempotency_key, source, customer, category, type, group_name, status, max_attempts, timeout_seconds, relative_path, staging_id, node, received_at)
          VALUES (${key}, 'smtp', 'customer_01', 'hydrastor', 'system_report', 'grid_1', 'staging', 5, 3600, ${`accept/${key}`}, ${key}, 'bench', now())
          RETURNING id`.execute(trx);
        await sql`UPDATE jobs SET status = 'queued' WHERE id = ${row.rows[0]?.id}`.execute(trx);
      });
      latenciesMs.push(performance.now() - begin);
    }
  })();
  try {
    await during();
  } finally {
    running = false;
    await loop;
    clearInterval(sampler);
  }
  return { commits: latenciesMs.length, latenciesMs, maxLockWaitMs };
}

function describe(result: AcceptorResult): string {
  const sorted = [...result.latenciesMs].sort((a, b) => a - b);
  return `${result.commits} commits, p50 ${quantile(sorted, 0.5).toFixed(1)} ms, p99 ${quantile(sorted, 0.99).toFixed(1)} ms, max ${(sorted.at(-1) ?? 0).toFixed(1)} ms; longest lock wait seen ${result.maxLockWaitMs.toFixed(0)} ms`;
}

function seconds(since: number): string {
  return ((performance.now() - since) / 1000).toFixed(1);
}
