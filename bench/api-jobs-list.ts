// GET /api/1.0/jobs with a customer + status filter over 1,000,000 jobs: latency percentiles.
//
//   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npx tsx bench/api-jobs-list.ts [--jobs 1000000] [--requests 5000] [--concurrency 1,16] [--keep]
//
// Makes a scratch database on that server, migrates it, loads the jobs with one INSERT … SELECT
// generate_series, starts the real service on it in its own process (`dataprocessor serve`,
// worker and SMTP off, rate limit off: the load generator must not share its event loop), then
// drives the API with a bounded-concurrency fetch loop and, when installed, wrk. Prints the
// numbers recorded in docs/benchmarks.md. The scratch database is dropped unless --keep is given.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import pg from 'pg';
import { createApiKey } from '../src/db/api-keys-repository.js';
import { addCustomer } from '../src/db/customers-repository.js';
import { migrateToLatest } from '../src/db/migrate-to-latest.js';
import { openDatabase } from '../src/db/open-database.js';
import { Logging } from '../src/logging/logging.js';

const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url));

const CUSTOMERS = 20;
const MEASURED_CUSTOMER = 'customer_07';
const WARMUP_REQUESTS = 200;

const { values } = parseArgs({
  options: {
    jobs: { type: 'string', default: '1000000' },
    requests: { type: 'string', default: '5000' },
    concurrency: { type: 'string', default: '1,16' },
    keep: { type: 'boolean', default: false },
  },
});
const jobCount = Number(values.jobs);
const requestCount = Number(values.requests);
const concurrencies = values.concurrency.split(',').map(Number);
const wrkConnections = Math.max(...concurrencies);

const serverUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const databaseName = `dp_bench_${randomBytes(4).toString('hex')}`;
const admin = new pg.Client({ connectionString: serverUrl });
await admin.connect();
await admin.query(`CREATE DATABASE ${databaseName}`);
const databaseUrl = Object.assign(new URL(serverUrl), { pathname: `/${databaseName}` }).toString();
const dataRoot = await mkdtemp(path.join(tmpdir(), 'dp-bench-'));

const logging = new Logging({ logDir: path.join(dataRoot, 'log'), level: 'warn', console: false });
const database = await openDatabase({ url: databaseUrl, dataRoot, embeddedPort: 0, poolSize: 4, logger: logging.for('bench') });
const db = database.db;
let server: ChildProcess | undefined;

try {
  await migrateToLatest(db);
  for (let n = 0; n < CUSTOMERS; n += 1) await addCustomer(db, { slug: `customer_${String(n).padStart(2, '0')}`, name: `Customer ${n}` });
  const { key } = await createApiKey(db, {
    customerId: (await db.selectFrom('customers').select('id').where('slug', '=', MEASURED_CUSTOMER).executeTakeFirstOrThrow()).id,
    label: 'bench',
  });

  const loadStarted = performance.now();
  // Statuses as in production: mostly succeeded, a few failed/queued/…; one job every 30 s.
  await sql`
    INSERT INTO jobs (idempotency_key, source, source_ref, customer, category, type, group_name, status, max_attempts, timeout_seconds,
      error_code, error_message, stats, relative_path, staging_id, manifest, node, received_at, started_at, finished_at)
    SELECT 'bench:' || n,
      (ARRAY['smtp','s3','api'])[1 + n % 3],
      jsonb_build_object('key', 'uploads/customer_' || lpad((n % ${CUSTOMERS})::text, 2, '0') || '/grid_' || (n % 7) || '/file_' || n || '.txt'),
      'customer_' || lpad((n % ${CUSTOMERS})::text, 2, '0'),
      'hydrastor', (ARRAY['system_report','alert','veritas2hview'])[1 + n % 3], 'grid_' || (n % 7),
      CASE WHEN s < 90 THEN 'succeeded' WHEN s < 95 THEN 'failed' WHEN s < 97 THEN 'queued'
           WHEN s < 98 THEN 'timed_out' WHEN s < 99 THEN 'cancelled' ELSE 'unclassified' END,
      5, 3600,
      CASE WHEN s BETWEEN 90 AND 94 THEN 'PARSE_ERROR' END, CASE WHEN s BETWEEN 90 AND 94 THEN 'line 3: bad value' END,
      jsonb_build_object('hydrastor_nodes', n % 9),
      'bench/' || n, 'bench-' || n,
      jsonb_build_object('files', jsonb_build_array(jsonb_build_object('name', 'message.eml', 'size', 40000 + n % 1000, 'sha256', md5(n::text))),
        'hints', jsonb_build_object('subject', 'HYDRAstor System Report grid_' || (n % 7) || ' #' || n, 'from', 'grid' || (n % 7) || '@example.com', 'messageId', '<' || n || '@grid.example>')),
      'bench',
      timestamptz '2023-01-01 00:00:00+00' + n * interval '30 seconds',
      timestamptz '2023-01-01 00:00:05+00' + n * interval '30 seconds',
      timestamptz '2023-01-01 00:00:09+00' + n * interval '30 seconds'
    -- The status cycles independently of the customer (n / customers), so every customer has every status.
    FROM generate_series(1, ${jobCount}) AS n, LATERAL (SELECT (n / ${CUSTOMERS}) % 100 AS s) AS status_slot`.execute(db);
  await sql`ANALYZE jobs`.execute(db);
  const loadSeconds = (performance.now() - loadStarted) / 1000;
  console.log(`loaded ${jobCount} jobs (${CUSTOMERS} customers) in ${loadSeconds.toFixed(1)} s`);

  const started = await startServer();
  server = started.child;
  const base = `${started.url}/api/1.0/jobs`;
  const scenarios: Array<[string, string]> = [
    ['customer key + status=failed, first page of 50', `${base}?status=failed`],
    ['customer key + status=failed,timed_out, first page of 50', `${base}?status=failed,timed_out`],
    ['customer key + status=succeeded + q=System Report grid_3', `${base}?status=succeeded&q=${encodeURIComponent('System Report grid_3')}`],
  ];
  for (const [name, url] of scenarios) {
    for (const concurrency of concurrencies) {
      await drive(url, key, WARMUP_REQUESTS, concurrency);
      const result = await drive(url, key, requestCount, concurrency);
      console.log(
        `${name}: ${requestCount} requests, concurrency ${concurrency}: ${result.rps.toFixed(0)} req/s, p50 ${result.p50.toFixed(2)} ms, p90 ${result.p90.toFixed(2)} ms, p99 ${result.p99.toFixed(2)} ms, max ${result.max.toFixed(2)} ms`,
      );
    }
  }
  const deep = await deepPage(`${base}?status=failed&limit=100`, key, 20);
  console.log(`deep paging: page 20 of status=failed (limit 100) in ${deep.toFixed(2)} ms`);

  const plan = await sql<{
    'QUERY PLAN': string;
  }>`EXPLAIN (ANALYZE, BUFFERS) SELECT * FROM jobs WHERE status != 'staging' AND customer = ${MEASURED_CUSTOMER} AND status IN ('failed') ORDER BY received_at DESC, id DESC LIMIT 51`.execute(
    db,
  );
  console.log(plan.rows.map((row) => `    ${row['QUERY PLAN']}`).join('\n'));

  const wrk = spawnSync('wrk', ['--version'], { encoding: 'utf8' });
  if (wrk.error === undefined) {
    const args = ['-t2', `-c${wrkConnections}`, '-d20s', '--latency', '-H', `X-Api-Key: ${key}`, `${base}?status=failed`];
    console.log(`\n$ wrk ${args.map((arg) => (arg.startsWith('X-Api-Key') ? "'X-Api-Key: <customer key>'" : arg)).join(' ')}`);
    console.log(spawnSync('wrk', args, { encoding: 'utf8' }).stdout);
  } else {
    console.log('wrk not installed (apt-get install -y wrk): skipped');
  }
} finally {
  server?.kill('SIGTERM');
  await new Promise((resolve) => (server === undefined || server.exitCode !== null ? resolve(undefined) : server.once('exit', resolve)));
  await database.close();
  await logging.close();
  if (!values.keep) await admin.query(`DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`);
  else console.log(`kept database ${databaseName}`);
  await admin.end();
  await rm(dataRoot, { recursive: true, force: true });
}

interface LoadResult {
  readonly rps: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

/** `total` GETs with at most `inFlight` at once; every answer must be a 200. */
async function drive(url: string, apiKey: string, total: number, inFlight: number): Promise<LoadResult> {
  const latencies: number[] = [];
  let started = 0;
  const wallStart = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (started < total) {
        started += 1;
        const t0 = performance.now();
        const response = await fetch(url, { headers: { 'X-Api-Key': apiKey } });
        const body = (await response.json()) as { jobs?: unknown[] };
        latencies.push(performance.now() - t0);
        if (response.status !== 200 || !Array.isArray(body.jobs)) throw new Error(`unexpected answer ${response.status}`);
      }
    }),
  );
  const wallSeconds = (performance.now() - wallStart) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number): number => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return { rps: total / wallSeconds, p50: at(0.5), p90: at(0.9), p99: at(0.99), max: latencies[latencies.length - 1] ?? 0 };
}

/** Follows `next` for `pages` pages and returns the time of the last one. */
async function deepPage(url: string, apiKey: string, pages: number): Promise<number> {
  let cursor: string | null = null;
  let last = 0;
  for (let page = 0; page < pages; page += 1) {
    const t0 = performance.now();
    const response = await fetch(`${url}${cursor === null ? '' : `&cursor=${cursor}`}`, { headers: { 'X-Api-Key': apiKey } });
    const body = (await response.json()) as { next: string | null };
    last = performance.now() - t0;
    cursor = body.next;
    if (cursor === null) break;
  }
  return last;
}

/** `dataprocessor serve` on a free port, in its own process, pointed at the scratch database. */
async function startServer(): Promise<{ child: ChildProcess; url: string }> {
  const port = await freePort();
  const configFile = path.join(dataRoot, 'bench-config.json');
  await writeFile(configFile, JSON.stringify({ http: { rateLimit: { pointsPerSecond: 0 } } }));
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'serve'], {
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      DP_CONFIG: configFile,
      DP_DATA_ROOT: dataRoot,
      DP_LOG_DIR: path.join(dataRoot, 'log'),
      DP_LOG_LEVEL: 'warn',
      DP_HTTP_HOST: '127.0.0.1',
      DP_HTTP_PORT: String(port),
      DP_SMTP_ENABLED: 'false',
      DP_WORKER_ENABLED: 'false',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('DataProcessor listening')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`the service exited with ${code}: ${output}`)));
  });
  return { child, url: `http://127.0.0.1:${port}` };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}
