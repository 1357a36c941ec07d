// The operator console's pages over 1,000,000 jobs (short: 100,000): p95 per page, signed in as an
// admin key and as a customer key. Target (issue #14): p95 < 300 ms.
//
//   npx tsx bench/console.ts [--full] [--database-url URL] [--compiled]
//
// A scratch database on the server gets the jobs in one INSERT … SELECT generate_series (spread
// over the last 60 days up to now, so the overview's 24-hour window holds 1/60 of them), then
// `dataprocessor serve` runs in its own process (worker and SMTP off) and each page is fetched
// one request at a time after a warm-up: the latency an operator sees, not a throughput test.
import path from 'node:path';
import { createApiKey } from '../src/db/api-keys-repository.js';
import { addCustomer } from '../src/db/customers-repository.js';
import { migrateToLatest } from '../src/db/migrate-to-latest.js';
import { openDatabase } from '../src/db/open-database.js';
import { Logging } from '../src/logging/logging.js';
import { isMain, runStandalone, type BenchContext } from './support/bench-context.js';
import { currentLoad, quantile, type BenchRow } from './support/bench-result.js';
import { CONSOLE_BENCH_CUSTOMERS, loadConsoleData } from './support/load-console-data.js';
import { createScratchDatabase } from './support/scratch-database.js';
import { startServiceProcess } from './support/service-process.js';

const TARGET_P95_MS = 300;
const DAYS = 60;
const WARMUP_REQUESTS = 5;
const MEASURED_CUSTOMER = 'customer_07';

export async function consoleBenchmark(context: BenchContext): Promise<BenchRow[]> {
  const jobs = context.full ? 1_000_000 : 100_000;
  const requests = context.full ? 100 : 30;
  const scratch = await createScratchDatabase(context.serverUrl, 'dp_bench_console');
  const workDir = path.join(context.workRoot, 'console');
  const logging = new Logging({ logDir: path.join(workDir, 'log'), level: 'warn', console: false });
  const database = await openDatabase({ url: scratch.url, dataRoot: workDir, embeddedPort: 0, poolSize: 2, logger: logging.for('bench') });
  let service: Awaited<ReturnType<typeof startServiceProcess>> | undefined;
  try {
    const { db } = database;
    await migrateToLatest(db);
    for (let n = 0; n < CONSOLE_BENCH_CUSTOMERS; n += 1) await addCustomer(db, { slug: `customer_${String(n).padStart(2, '0')}`, name: `Customer ${n}` });
    const adminKey = (await createApiKey(db, { customerId: null, label: 'bench admin' })).key;
    const customerId = (await db.selectFrom('customers').select('id').where('slug', '=', MEASURED_CUSTOMER).executeTakeFirstOrThrow()).id;
    const customerKey = (await createApiKey(db, { customerId, label: 'bench customer' })).key;
    const loadStarted = performance.now();
    await loadConsoleData(db, { jobs, days: DAYS, refused: jobs / 10 });
    context.log(
      `console: loaded ${jobs.toLocaleString('en')} jobs (+ sources, events, ${(jobs / 10).toLocaleString('en')} refusals) in ${((performance.now() - loadStarted) / 1000).toFixed(0)} s`,
    );
    const sample = await db
      .selectFrom('jobs')
      .select('id')
      .where('status', '=', 'failed')
      .where('idempotency_key', 'like', 'bench:%00')
      .limit(1)
      .executeTakeFirstOrThrow();

    service = await startServiceProcess({
      databaseUrl: scratch.url,
      workDir,
      smtp: false,
      worker: false,
      logLevel: 'warn',
      bin: context.bin,
      config: { http: { rateLimit: { pointsPerSecond: 0 } } },
    });
    const base = service.httpUrl;
    const admin = await signIn(base, adminKey);
    const customer = await signIn(base, customerKey);
    const pages: Array<[string, string, string]> = [
      ['overview (admin: every customer, health)', '/console', admin],
      ['overview (customer key)', '/console', customer],
      ['jobs, newest 50 (admin)', '/console/jobs', admin],
      ['jobs ?status=failed (customer key)', '/console/jobs?status=failed', customer],
      ['jobs ?q=System Report grid_3 (admin)', `/console/jobs?q=${encodeURIComponent('System Report grid_3')}`, admin],
      [
        'jobs ?type=…&group=…&received_since (admin)',
        `/console/jobs?type=hydrastor/alert&group=grid_3&received_since=${new Date(Date.now() - 7 * 86_400_000).toISOString().slice(0, 16)}`,
        admin,
      ],
      ['job detail (failed job)', `/console/jobs/${sample.id}`, admin],
      ['sources (admin: 20 customers)', '/console/sources', admin],
      ['unclassified, 20 with previews (admin)', '/console/unclassified', admin],
      ['refused, newest 50 (admin)', '/console/refused', admin],
      ['refused ?q=sender1 (admin)', '/console/refused?q=sender1', admin],
    ];
    const rows: BenchRow[] = [];
    for (const [name, pagePath, cookie] of pages) {
      const latencies = await measure(`${base}${pagePath}`, cookie, requests);
      const p95 = quantile(latencies, 0.95);
      const line = `console ${name}: ${requests} requests, p50 ${quantile(latencies, 0.5).toFixed(1)} ms, p95 ${p95.toFixed(1)} ms, max ${latencies.at(-1)!.toFixed(1)} ms`;
      context.log(line);
      rows.push({
        name: `10. Console ${name}, ${jobs.toLocaleString('en')} jobs`,
        reference: '—',
        referenceValue: null,
        oursValue: p95,
        unit: 'ms (p95)',
        ratio: null,
        target: `p95 < ${TARGET_P95_MS} ms`,
        met: p95 < TARGET_P95_MS,
        peakRssMiB: service.peakRssMiB(),
        load: currentLoad(),
        notes: `${requests} sequential requests after ${WARMUP_REQUESTS} warm-up: p50 ${quantile(latencies, 0.5).toFixed(1)} ms, max ${latencies.at(-1)!.toFixed(1)} ms`,
      });
    }
    return rows;
  } finally {
    await service?.stop();
    await database.close();
    await logging.close();
    await scratch.drop();
  }
}

/** Signs in through the form (as a browser does: POST with Origin) and returns the session cookie. */
async function signIn(base: string, key: string): Promise<string> {
  const response = await fetch(`${base}/console/sign-in`, {
    method: 'POST',
    headers: { Origin: base, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ key }),
    redirect: 'manual',
  });
  const cookie = /dp_console=[^;]+/.exec(response.headers.get('set-cookie') ?? '')?.[0];
  if (response.status !== 303 || cookie === undefined) throw new Error(`sign-in answered ${response.status}`);
  return cookie;
}

/** Sorted latencies (ms) of `count` sequential GETs after a warm-up; every answer must be a 200 HTML page. */
async function measure(url: string, cookie: string, count: number): Promise<number[]> {
  const latencies: number[] = [];
  for (let n = 0; n < WARMUP_REQUESTS + count; n += 1) {
    const started = performance.now();
    const response = await fetch(url, { headers: { Cookie: cookie }, redirect: 'manual' });
    const body = await response.text();
    if (response.status !== 200 || !body.includes('</html>')) throw new Error(`${url} answered ${response.status}: ${body.slice(0, 300)}`);
    if (n >= WARMUP_REQUESTS) latencies.push(performance.now() - started);
  }
  return latencies.sort((a, b) => a - b);
}

if (isMain(import.meta.url)) await runStandalone(consoleBenchmark);
