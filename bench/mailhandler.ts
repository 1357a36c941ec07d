// The mailhandler's cost per message (issue #15): Postfix pipe(8) starts one process per message,
// so start-up is the whole story. Delivers the same small mail N times each way and reports the
// median and p95 wall time of the process, next to a bare `node -e 0` (the floor on this machine).
//
//   npx tsx bench/mailhandler.ts [--runs 20] [--database-url URL]
//
// Ways: through tsx (bin/dataprocessor.js without a build), the compiled tree (when dist/ exists:
// `npm run build`), and the one-file bundle the build makes (built here into a scratch folder).
import { spawn } from 'node:child_process';
import { copyFile, mkdir, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { migrateToLatest } from '../src/db/migrate-to-latest.js';
import { addCustomer } from '../src/db/customers-repository.js';
import { openDatabase } from '../src/db/open-database.js';
import { Logging } from '../src/logging/logging.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const SCRATCH = path.join(ROOT, 'node_modules', '.cache', 'dp-mailhandler-bench');
const BUNDLE = path.join(SCRATCH, 'src', 'mailhandler', 'mailhandler.bundle.mjs');
const MESSAGE = 'From: grid@bobs.example\r\nTo: bobs_burgers@ingest.hview.example\r\nSubject: bench\r\n\r\nhello\r\n';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '20' }, 'database-url': { type: 'string' } } });
const runs = Number(values.runs);
const adminUrl = values['database-url'] ?? process.env.DATABASE_URL;
if (adminUrl === undefined) throw new Error('give --database-url or DATABASE_URL (a server where a scratch database may be created)');

function timed(args: readonly string[], env: NodeJS.ProcessEnv, stdin: string): Promise<{ ms: number; code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ ms: performance.now() - started, code, output }));
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
  const ways: Array<[string, readonly string[]]> = [
    ['node -e 0 (the floor)', ['-e', '0']],
    ['bundle (npm run build)', [BUNDLE, ...envelope]],
    ...(existsSync(path.join(ROOT, 'dist', 'src', 'cli.js'))
      ? [['compiled tree (dist/src/cli.js)', [path.join(ROOT, 'dist', 'src', 'cli.js'), ...envelope]] as [string, string[]]]
      : []),
    ['tsx (no build)', ['--import', 'tsx', path.join(ROOT, 'src', 'cli.ts'), ...envelope]],
  ];
  console.log(`| way | runs | median ms | p95 ms |\n| --- | ---: | ---: | ---: |`);
  for (const [name, args] of ways) {
    const times: number[] = [];
    for (let run = 0; run < runs; run += 1) {
      // A new Subject each time: a repeat of the same bytes would be answered as a duplicate.
      const result = await timed(args, env, MESSAGE.replace('Subject: bench', `Subject: bench ${name} ${run}`));
      if (result.code !== 0) throw new Error(`${name}: exit ${result.code}\n${result.output}`);
      times.push(result.ms);
    }
    times.sort((a, b) => a - b);
    console.log(`| ${name} | ${runs} | ${Math.round(quantile(times, 0.5))} | ${Math.round(quantile(times, 0.95))} |`);
  }
} finally {
  await admin.query(`DROP DATABASE IF EXISTS ${scratchDb} WITH (FORCE)`);
  await admin.end();
  await rm(SCRATCH, { recursive: true, force: true });
}
