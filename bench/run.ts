// The benchmark harness: every benchmark of issue 6, reference and ours side by side, one table.
//
//   npm run bench                       short version (a few minutes)
//   npm run bench -- --full             the long one (the figures in docs/benchmarks.md)
//   npm run bench -- --only smtp-accept[,event-loop]   some of them
//   options: --database-url URL (else DATABASE_URL, else an embedded PostgreSQL), --compiled (run
//   the production build instead of tsx), --profile DIR (services write V8 CPU profiles there)
//
// The table is also written to bench/out/latest.md (git-ignored).
import { spawn } from 'node:child_process';
import { access, mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { consoleBenchmark } from './console.js';
import { eventLatencyBenchmark } from './event-latency.js';
import { eventLoopBenchmark } from './event-loop.js';
import { exportMemoryBenchmark } from './export-memory.js';
import { mailProcessingBenchmark } from './mail-processing.js';
import { smtpAcceptBenchmark } from './smtp-accept.js';
import { upload1GiBBenchmark } from './upload-1gib.js';
import { makeWorkRoot, resolveServer, type BenchContext, type Benchmark } from './support/bench-context.js';
import { currentLoad, formatTable, placeholderRow, type BenchRow } from './support/bench-result.js';
import { buildCompiled } from './support/compiled-build.js';
import { describeMachine } from './support/machine-info.js';
import { BIN } from './support/service-process.js';

const BENCH_DIR = fileURLToPath(new URL('./', import.meta.url));
const OUT_FILE = path.join(BENCH_DIR, 'out', 'latest.md');

/** Runs another bench script (its own process, as its author wrote it) and returns its output. */
function runScript(script: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(BENCH_DIR, script), ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const keep = (chunk: Buffer): void => {
      output += chunk.toString();
      process.stdout.write(chunk);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, output }));
  });
}

const exists = (file: string): Promise<boolean> =>
  access(file).then(
    () => true,
    () => false,
  );

/** 3. bench/veritas-export.ts (the Veritas2Hview helper's): service vs `tar -xzOf | psql \copy` + merge. */
const veritasExport: Benchmark = async (context) => {
  const name = '3. Export ingest vs tar | psql \\copy + merge';
  const reference = '`tar -xzOf export.tar.gz …/bpdbjobs_most_columns.csv | psql \\copy` into a temp table + one INSERT … SELECT … ON CONFLICT DO UPDATE';
  const target = '≥ 0.5× reference speed';
  if (!(await exists(path.join(BENCH_DIR, 'veritas-export.ts'))))
    return [placeholderRow({ name, reference, target, why: 'bench/veritas-export.ts is not there yet' })];
  const jobs = context.full ? 1_000_000 : 100_000;
  const { code, output } = await runScript(
    'veritas-export.ts',
    ['--jobs', String(jobs), '--reps', context.full ? '3' : '1', '--database-url', context.serverUrl],
    process.env,
  );
  const ours = /ours \(service[^)]*\): median ([\d.]+) s/.exec(output)?.[1];
  const ref = /reference \([^\n]*\): median ([\d.]+) s/.exec(output)?.[1];
  const rss = /peak RSS of this process: (\d+) MiB/.exec(output)?.[1];
  if (code !== 0 || ours === undefined || ref === undefined) {
    return [
      placeholderRow({
        name,
        reference,
        target,
        why: `bench/veritas-export.ts exited with ${code} or printed no medians: ${output.trim().split('\n').slice(-3).join(' / ')}`,
      }),
    ];
  }
  const ratio = Number(ref) / Number(ours);
  return [
    {
      name: `${name}, ${jobs.toLocaleString('en')} jobs`,
      reference,
      referenceValue: Number(ref),
      oursValue: Number(ours),
      unit: 's',
      ratio,
      target,
      met: ratio >= 0.5,
      peakRssMiB: rss === undefined ? null : Number(rss),
      load: currentLoad(),
      notes: `median of ${context.full ? 3 : 1}; ours = accept → committed in-process (bench/veritas-export.ts); its peak RSS is that whole process (generator + service + reference driver): see 3b for the service alone`,
    },
  ];
};

/** 5. bench/api-jobs-list.ts (the API helper's): GET /api/1.0/jobs, customer + status, under load. */
const apiJobsList: Benchmark = async (context) => {
  const jobs = context.full ? 1_000_000 : 100_000;
  const target = 'p99 < 50 ms';
  const { code, output } = await runScript(
    'api-jobs-list.ts',
    ['--jobs', String(jobs), '--requests', context.full ? '5000' : '1000', '--concurrency', '1,16'],
    { ...process.env, DATABASE_URL: context.serverUrl },
  );
  const pattern =
    /^(customer key \+ status=failed, first page of 50): (\d+) requests, concurrency (\d+): ([\d.]+) req\/s, p50 ([\d.]+) ms, p90 ([\d.]+) ms, p99 ([\d.]+) ms/gm;
  const rows: BenchRow[] = [...output.matchAll(pattern)].map((match) => ({
    name: `5. API GET /api/1.0/jobs?status=failed (customer key), ${jobs.toLocaleString('en')} jobs, concurrency ${match[3]}`,
    reference: 'index plan: 0.25 ms in PostgreSQL (EXPLAIN ANALYZE, see the API section)',
    referenceValue: null,
    oursValue: Number(match[7]),
    unit: 'ms (p99)',
    ratio: null,
    target,
    met: Number(match[7]) < 50,
    peakRssMiB: null,
    load: currentLoad(),
    notes: `${match[2]} requests: ${Number(match[4]).toFixed(0)} req/s, p50 ${match[5]} ms, p90 ${match[6]} ms`,
  }));
  const wrk = /Latency Distribution[\s\S]*?99%\s+([\d.]+)(ms|s)[\s\S]*?Requests\/sec:\s+([\d.]+)/.exec(output);
  if (wrk !== null) {
    const p99 = Number(wrk[1]) * (wrk[2] === 's' ? 1000 : 1);
    rows.push({
      name: `5. API same query, wrk -t2 -c16 -d20s, ${jobs.toLocaleString('en')} jobs`,
      reference: 'wrk --latency',
      referenceValue: null,
      oursValue: p99,
      unit: 'ms (p99)',
      ratio: null,
      target,
      met: p99 < 50,
      peakRssMiB: null,
      load: currentLoad(),
      notes: `${Number(wrk[3]).toFixed(0)} req/s`,
    });
  }
  return rows.length > 0
    ? rows
    : [
        placeholderRow({
          name: '5. API GET /api/1.0/jobs',
          reference: 'bench/api-jobs-list.ts',
          target,
          why: `exited with ${code}, no figures: ${output.trim().split('\n').slice(-3).join(' / ')}`,
        }),
      ];
};

/** 9. bench/purge.ts (retention): purging job rows and folders, and the lock wait it causes to acceptance. Opt-in: it is big. */
const purge: Benchmark = async (context) => {
  const jobs = context.full ? 1_000_000 : 200_000;
  const folders = jobs / 10;
  const name = `9. Retention purge, ${jobs.toLocaleString('en')} job rows + ${folders.toLocaleString('en')} folders`;
  const target = 'no lock wait for acceptance; finishes';
  const { code, output } = await runScript(
    'purge.ts',
    ['--jobs', String(jobs), '--folders', String(folders), '--database-url', context.serverUrl],
    process.env,
  );
  const rate = /purge done: (\d+) jobs, (\d+) bytes in ([\d.]+) s: (\d+) jobs\/s/.exec(output);
  const during = /acceptor during the purge: .*max ([\d.]+) ms; longest lock wait seen (\d+) ms/.exec(output);
  if (code !== 0 || rate === null || during === null)
    return [placeholderRow({ name, reference: 'bench/purge.ts', target, why: `exited with ${code}: ${output.trim().split('\n').slice(-3).join(' / ')}` })];
  return [
    {
      name,
      reference: 'acceptor alone (same commits without the purge)',
      referenceValue: null,
      oursValue: Number(rate[4]),
      unit: 'jobs/s',
      ratio: null,
      target,
      met: Number(during[2]) === 0,
      peakRssMiB: null,
      load: currentLoad(),
      notes: `${rate[1]} jobs in ${rate[3]} s; acceptance commit max ${during[1]} ms, longest lock wait ${during[2]} ms`,
    },
  ];
};

const BENCHMARKS: ReadonlyArray<readonly [string, Benchmark]> = [
  ['smtp-accept', smtpAcceptBenchmark],
  ['mail-processing', mailProcessingBenchmark],
  ['veritas-export', veritasExport],
  ['export-memory', exportMemoryBenchmark],
  ['event-latency', eventLatencyBenchmark],
  ['api-jobs-list', apiJobsList],
  ['console', consoleBenchmark],
  ['event-loop', eventLoopBenchmark],
  ['upload-1gib', upload1GiBBenchmark],
  ['purge', purge],
];
/** Run only when asked for (--purge or --only purge): they take long. */
const OPT_IN = ['purge'];

const { values } = parseArgs({
  options: {
    full: { type: 'boolean', default: false },
    only: { type: 'string' },
    'database-url': { type: 'string' },
    profile: { type: 'string' },
    compiled: { type: 'boolean', default: false },
    purge: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log(
    [
      'npm run bench [-- options]   every benchmark, reference and ours side by side (docs/benchmarks.md)',
      '',
      '  --full              the long run (the figures in docs/benchmarks.md); default: the short one',
      `  --only a[,b]        some of them: ${BENCHMARKS.map(([name]) => name).join(', ')}`,
      '  --database-url URL  PostgreSQL to use (else DATABASE_URL, else an embedded server)',
      '  --compiled          run the production build instead of tsx',
      '  --purge             also the retention purge benchmark (opt-in: 200,000 rows, --full 1,000,000)',
      '  --profile DIR       services write V8 CPU profiles there',
      '  --help              this text',
      '',
      'The table is also written to bench/out/latest.md. Reliability under faults: npm run chaos.',
    ].join('\n'),
  );
  process.exit(0);
}
const only = values.only
  ?.split(',')
  .map((name) => name.trim())
  .filter((name) => name !== '');
const unknown = only?.filter((name) => !BENCHMARKS.some(([known]) => known === name)) ?? [];
if (unknown.length > 0) {
  console.error(`unknown benchmark(s) ${unknown.join(', ')}; known: ${BENCHMARKS.map(([name]) => name).join(', ')}`);
  process.exit(64);
}

const workRoot = await makeWorkRoot();
const server = await resolveServer({ flag: values['database-url'], env: process.env.DATABASE_URL, workRoot });
const started = new Date();
const rows: BenchRow[] = [];
try {
  const machine = await describeMachine(server.url);
  console.log([`bench ${values.full ? 'full' : 'short'} run, ${started.toISOString()}, load ${currentLoad()}`, ...machine].join('\n'));
  const context: BenchContext = {
    full: values.full,
    serverUrl: server.url,
    workRoot,
    profileDir: values.profile === undefined ? null : path.resolve(values.profile),
    bin: values.compiled ? await buildCompiled(workRoot) : BIN,
    log: (line) => console.log(line),
  };
  for (const [name, benchmark] of BENCHMARKS) {
    if (only !== undefined && !only.includes(name)) continue;
    if (only === undefined && OPT_IN.includes(name) && !values[name as 'purge']) continue;
    console.log(`\n== ${name} (load ${currentLoad()})`);
    const benchStart = performance.now();
    try {
      rows.push(...(await benchmark(context)));
    } catch (error) {
      console.error(`${name} failed:`, error);
      rows.push(placeholderRow({ name, reference: '—', target: '—', why: `failed: ${(error as Error).message.split('\n')[0]}` }));
    }
    console.log(`== ${name} took ${((performance.now() - benchStart) / 1000).toFixed(0)} s`);
  }
  const table = formatTable(rows);
  const report = [
    `# bench ${values.full ? '--full' : '(short)'} ${values.compiled ? '--compiled ' : ''}${started.toISOString()} (${((Date.now() - started.getTime()) / 60_000).toFixed(1)} min)`,
    '',
    ...machine.map((line) => `- ${line}`),
    '',
    table,
    '',
  ].join('\n');
  console.log(`\n${table}`);
  await mkdir(path.dirname(OUT_FILE), { recursive: true });
  await writeFile(OUT_FILE, report);
  console.log(`\nwritten to ${path.relative(process.cwd(), OUT_FILE)}`);
} finally {
  await server.close();
  await rm(workRoot, { recursive: true, force: true });
}
