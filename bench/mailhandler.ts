// The mailhandler's cost per message (issue #15): Postfix pipe(8) starts one process per message,
// so start-up is the whole story. Delivers the same small mail N times each way and reports the
// median and p95 wall time of the process and its median CPU time (user + system, through GNU
// time when installed), next to a bare `node -e 0` (the floor on this machine).
//
//   npx tsx bench/mailhandler.ts [--runs 20] [--database-url URL] [--ways floor,relay,bundle,compiled,tsx]
//
// Ways: the relay fast path (`bin/dataprocessor.js mailhandler --relay …` to a running
// `dataprocessor serve`, started here on the same scratch database), the one-file bundle the build
// makes (built here into a scratch folder), the compiled tree (when dist/ exists: `npm run build`),
// and tsx (bin/dataprocessor.js without a build).
import { spawn } from 'node:child_process';
import { copyFile, mkdir, rm } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { migrateToLatest } from '../src/db/migrate-to-latest.js';
import { addCustomer } from '../src/db/customers-repository.js';
import { openDatabase } from '../src/db/open-database.js';
import { Logging } from '../src/logging/logging.js';
import { startServiceProcess } from './support/service-process.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const SCRATCH = path.join(ROOT, 'node_modules', '.cache', 'dp-mailhandler-bench');
const BUNDLE = path.join(SCRATCH, 'src', 'mailhandler', 'mailhandler.bundle.mjs');
const MESSAGE = 'From: grid@bobs.example\r\nTo: bobs_burgers@ingest.hview.example\r\nSubject: bench\r\n\r\nhello\r\n';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '20' },
    'database-url': { type: 'string' },
    ways: { type: 'string', default: 'floor,relay,bundle,compiled,tsx' },
  },
});
const chosenWays = new Set(values.ways.split(','));
const runs = Number(values.runs);
const adminUrl = values['database-url'] ?? process.env.DATABASE_URL;
if (adminUrl === undefined) throw new Error('give --database-url or DATABASE_URL (a server where a scratch database may be created)');

/** GNU time, when installed: CPU seconds are the figure a loaded machine distorts least (wall time waits for the CPUs). */
const GNU_TIME = '/usr/bin/time';
const CPU_FILE = path.join(SCRATCH, 'cpu.txt');

function timed(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  stdin: string,
): Promise<{ ms: number; cpuMs: number | null; code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const withCpu = existsSync(GNU_TIME);
    const child = withCpu
      ? spawn(GNU_TIME, ['-f', '%U %S', '-o', CPU_FILE, process.execPath, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] })
      : spawn(process.execPath, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => {
      const ms = performance.now() - started;
      const cpu = withCpu ? readFileSync(CPU_FILE, 'utf8').trim().split(/\s+/).map(Number) : [];
      resolve({ ms, cpuMs: cpu.length === 2 ? Math.round((cpu[0]! + cpu[1]!) * 1000) : null, code, output });
    });
    child.stdin.end(stdin);
  });
}

const quantile = (sorted: readonly number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

const scratchDb = `dp_mailhandler_bench_${process.pid}`;
const admin = new pg.Client({ connectionString: adminUrl });
await admin.connect();
await admin.query(`CREATE DATABASE ${scratchDb}`);
const url = new URL(adminUrl);
url.pathname = `/${scratchDb}`;
const dataRoot = path.join(SCRATCH, 'data');
let service: Awaited<ReturnType<typeof startServiceProcess>> | undefined;
try {
  await rm(SCRATCH, { recursive: true, force: true });
  await mkdir(path.join(SCRATCH, 'config'), { recursive: true });
  await copyFile(path.join(ROOT, 'config', 'default.json'), path.join(SCRATCH, 'config', 'default.json'));
  const logging = new Logging({ logDir: path.join(SCRATCH, 'log'), level: 'warn', console: false });
  const handle = await openDatabase({ url: url.toString(), dataRoot, embeddedPort: 0, poolSize: 1, logger: logging.for('bench') });
  await migrateToLatest(handle.db);
  await addCustomer(handle.db, { slug: 'bobs_burgers', name: 'bobs_burgers' });
  await handle.close();
  await logging.close();
  const built = await timed([path.join(ROOT, 'scripts', 'bundle-mailhandler.mjs'), '--outfile', BUNDLE], process.env, '');
  if (built.code !== 0) throw new Error(built.output);

  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('DP_') && name !== 'DATABASE_URL'));
  const env = { ...inherited, DATABASE_URL: url.toString(), DP_DATA_ROOT: dataRoot, DP_LOG_DIR: path.join(SCRATCH, 'log') };
  const envelope = ['mailhandler', '--sender', 'grid@bobs.example', '--recipient', 'bobs_burgers@ingest.hview.example'];
  // The service the relay hands messages to: it must trust loopback (smtp.trustedRelays), as in docs/operations.md.
  // No worker, so that only the acceptance competes with the measured processes for the CPUs.
  service = await startServiceProcess({
    databaseUrl: url.toString(),
    workDir: path.join(SCRATCH, 'serve'),
    config: { smtp: { trustedRelays: ['127.0.0.1'] } },
    worker: false,
    logLevel: 'warn',
  });
  const allWays: Array<[string, string, readonly string[]]> = [
    ['floor', 'node -e 0 (the floor)', ['-e', '0']],
    [
      'relay',
      'relay to the running service (--relay)',
      [path.join(ROOT, 'bin', 'dataprocessor.js'), envelope[0]!, '--relay', `127.0.0.1:${service.smtpPort}`, ...envelope.slice(1)],
    ],
    ['bundle', 'bundle (npm run build)', [BUNDLE, ...envelope]],
    ...(existsSync(path.join(ROOT, 'dist', 'src', 'cli.js'))
      ? [['compiled', 'compiled tree (dist/src/cli.js)', [path.join(ROOT, 'dist', 'src', 'cli.js'), ...envelope]] as [string, string, string[]]]
      : []),
    ['tsx', 'tsx (no build)', ['--import', 'tsx', path.join(ROOT, 'src', 'cli.ts'), ...envelope]],
  ];
  const ways = allWays.filter(([key]) => chosenWays.has(key)).map(([, name, args]) => [name, args] as const);
  console.log(`| way | runs | median ms | p95 ms | median CPU ms |\n| --- | ---: | ---: | ---: | ---: |`);
  for (const [name, args] of ways) {
    const times: number[] = [];
    const cpuTimes: number[] = [];
    for (let run = 0; run < runs; run += 1) {
      // A new Subject each time: a repeat of the same bytes would be answered as a duplicate.
      const result = await timed(args, env, MESSAGE.replace('Subject: bench', `Subject: bench ${name} ${run}`));
      // The relay's note says when it fell back to the direct path: then it measured the wrong thing.
      if (result.code !== 0 || result.output.includes('relay not used')) throw new Error(`${name}: exit ${result.code}\n${result.output}`);
      times.push(result.ms);
      if (result.cpuMs !== null) cpuTimes.push(result.cpuMs);
    }
    times.sort((a, b) => a - b);
    cpuTimes.sort((a, b) => a - b);
    const cpu = cpuTimes.length === 0 ? 'n/a' : String(quantile(cpuTimes, 0.5));
    console.log(`| ${name} | ${runs} | ${Math.round(quantile(times, 0.5))} | ${Math.round(quantile(times, 0.95))} | ${cpu} |`);
  }
} finally {
  await service?.stop();
  await admin.query(`DROP DATABASE IF EXISTS ${scratchDb} WITH (FORCE)`);
  await admin.end();
  await rm(SCRATCH, { recursive: true, force: true });
}
