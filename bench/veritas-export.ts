/**
 * Veritas2Hview export end to end: a generated N-job export (.tar.gz) through the real service
 * (accept → stage → worker → parse → COPY rounds → merge → commit) against the cheapest way to do
 * the same load by hand: `tar -xzOf … | psql \copy` into a temporary table, then one
 * INSERT … SELECT … ON CONFLICT DO UPDATE into the same veritas_jobs table. Alternates A/B, takes
 * the median, prints the ratio and this process's peak RSS.
 *
 *   npx tsx bench/veritas-export.ts [--jobs 1000000] [--reps 3] [--database-url postgres://postgres@127.0.0.1:5432/postgres]
 *
 * The reference reads bpdbjobs as COPY text with "," as delimiter, which is close to NetBackup's
 * format (`\,` is a literal comma) but not exact (other backslashes are eaten, continuation lines
 * are not joined): it gets the speed of a format-blind load, not its correctness.
 */
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import { create as createTar, extract as extractTar } from 'tar';
import { loadConfig } from '../src/config/load-config.js';
import type { Database } from '../src/db/database-schema.js';
import { addCustomer } from '../src/db/customers-repository.js';
import { findJob } from '../src/db/jobs-repository.js';
import { startService, type RunningService } from '../src/main.js';
import { generateBpdbjobsChunks } from '../src/modules/hydrastor/veritas2hview/generate-bpdbjobs.js';
import { veritas2hviewModule } from '../src/modules/hydrastor/veritas2hview/index.js';
import { jobStageTable } from '../src/modules/hydrastor/veritas2hview/job-stage.js';

const { values: options } = parseArgs({
  options: {
    jobs: { type: 'string', default: '1000000' },
    reps: { type: 'string', default: '3' },
    'database-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
  },
});
const JOBS = Number(options.jobs);
const REPS = Number(options.reps);
const CUSTOMER = 'bench_customer';
const EXPORT_FOLDER = 'Veritas2Hview_bench';
const FIXTURE = new URL('../test/fixtures/upload/veritas2hview_small.tar.gz', import.meta.url);
/** The generator writes the 59 documented fields and 3 empty extras. */
const GENERATED_FIELDS = 62;
const JOB_TIMEOUT_MS = 30 * 60 * 1000;

async function main(): Promise<void> {
  const work = await mkdtemp(path.join(tmpdir(), 'dp-bench-veritas-'));
  const databaseName = `bench_veritas_${randomBytes(4).toString('hex')}`;
  const databaseUrl = await createDatabase(options['database-url'], databaseName);
  let service: RunningService | undefined;
  try {
    const generateStart = performance.now();
    const archive = await generateArchive(work);
    console.log(`generated ${JOBS.toLocaleString('en')} jobs in ${seconds(performance.now() - generateStart)} s: ${archive}`);

    const dataRoot = path.join(work, 'data');
    const config = loadConfig({
      env: {},
      overrides: {
        dataRoot,
        logDir: path.join(dataRoot, 'log'),
        logLevel: 'warn',
        database: { url: databaseUrl },
        http: { host: '127.0.0.1', port: 0 },
        smtp: { enabled: false },
        worker: { pollIntervalMs: 50, concurrency: 1 },
      },
    });
    service = await startService({ config, modules: [veritas2hviewModule], logToConsole: false });
    const db = service.database.db;
    await addCustomer(db, { slug: CUSTOMER, name: CUSTOMER });
    const baselineRssMiB = Math.round(process.resourceUsage().maxRSS / 1024);

    const ours: number[] = [];
    const oursStaged: number[] = [];
    const reference: number[] = [];
    for (let rep = 1; rep <= REPS; rep += 1) {
      await emptyTables(db);
      const run = await runService(service, archive);
      ours.push(run.wallMs);
      oursStaged.push(run.stagedMs);
      console.log(`rep ${rep} ours: ${seconds(run.wallMs)} s accept→committed (of which staging the upload ${seconds(run.stagedMs)} s), ${run.rows} rows`);
      await emptyTables(db);
      const referenceMs = await runReference(db, { databaseUrl, archive });
      reference.push(referenceMs);
      console.log(`rep ${rep} reference: ${seconds(referenceMs)} s`);
    }
    const reloadMs = (await runService(service, archive)).wallMs;
    console.log(`reload of the same export (every row exists, unchanged): ${seconds(reloadMs)} s`);

    const medianOurs = median(ours);
    const medianReference = median(reference);
    console.log(
      [
        '',
        `jobs: ${JOBS.toLocaleString('en')}, archive: ${archive}`,
        `ours (service, accept → committed): median ${seconds(medianOurs)} s  [${ours.map(seconds).join(', ')}]; staging the upload ${seconds(median(oursStaged))} s of it`,
        `reference (tar -xzOf | psql \\copy + INSERT … SELECT … ON CONFLICT): median ${seconds(medianReference)} s  [${reference.map(seconds).join(', ')}]`,
        `efficiency = reference ÷ ours = ${(medianReference / medianOurs).toFixed(2)}`,
        `peak RSS of this process: ${Math.round(process.resourceUsage().maxRSS / 1024)} MiB (${baselineRssMiB} MiB after generating the archive and starting the service)`,
      ].join('\n'),
    );
  } finally {
    await service?.stop();
    await dropDatabase(options['database-url'], databaseName);
    await rm(work, { recursive: true, force: true });
  }
}

/** The small fixture's listings and map around a generated bpdbjobs, no manifest (master from the jobs). */
async function generateArchive(work: string): Promise<string> {
  const source = path.join(work, 'source');
  await mkdir(source, { recursive: true });
  await extractTar({ file: FIXTURE.pathname, cwd: source, strip: 1 });
  const folder = path.join(work, EXPORT_FOLDER);
  await mkdir(folder);
  for (const name of await readdir(source)) {
    if (name === 'manifest.json' || name === 'bpdbjobs_most_columns.csv' || name === 'bpimagelist_l.txt') continue;
    await writeFile(path.join(folder, name), await readFile(path.join(source, name)));
  }
  await writeFile(path.join(folder, 'bpdbjobs_most_columns.csv'), generateBpdbjobsChunks({ seed: 1, jobs: JOBS, chunkBytes: 1024 * 1024 }));
  const archive = path.join(work, 'export.tar.gz');
  await createTar({ gzip: true, file: archive, cwd: work, portable: true }, [EXPORT_FOLDER]);
  await rm(folder, { recursive: true });
  return archive;
}

async function runService(service: RunningService, archive: string): Promise<{ wallMs: number; stagedMs: number; rows: number }> {
  const start = performance.now();
  const { job } = await service.accept({
    source: 'api',
    customer: CUSTOMER,
    moduleKey: 'hydrastor/veritas2hview',
    group: 'icecream_machine',
    // Every run is a new arrival, even with the same bytes.
    idempotencyKey: randomUUID(),
    writeFiles: async (folder) => {
      await folder.writeFile({ name: 'object.bin', source: createReadStream(archive), originalName: 'export.tar.gz', role: 'object' });
    },
  });
  const stagedMs = performance.now() - start;
  for (;;) {
    const current = await findJob(service.database.db, job.id);
    if (current !== undefined && ['succeeded', 'failed', 'timed_out', 'cancelled'].includes(current.status)) {
      if (current.status !== 'succeeded') throw new Error(`job ${current.status}: ${current.error_code}: ${current.error_message}`);
      const wallMs = performance.now() - start;
      return { wallMs, stagedMs, rows: Number((current.stats as Record<string, number>)['veritas_jobs']) };
    }
    if (performance.now() - start > JOB_TIMEOUT_MS) throw new Error('the job did not finish in time');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The same load done by hand, in one psql session and transaction; the master row exists beforehand. */
async function runReference(db: Kysely<Database>, args: { readonly databaseUrl: string; readonly archive: string }): Promise<number> {
  const master = await sql<{ id: string }>`
    INSERT INTO veritas_master_servers (customer, name, last_job_id) VALUES (${CUSTOMER}, 'nbumaster01.acme.local', gen_random_uuid()) RETURNING id`.execute(
    db,
  );
  await sql`
    INSERT INTO veritas_storage_units (master_server_id, label, attributes, is_hydrastor, grid_serial, grid_name, grid_link_method, link_outcome, last_job_id)
    VALUES (${master.rows[0]?.id}::bigint, 'stu_hydra_icecream_machine', '{}', true, '8A5-000123', 'icecream_machine', 'map_file', 'linked', gen_random_uuid())`.execute(
    db,
  );
  const rawColumns = Array.from({ length: GENERATED_FIELDS }, (_, index) => `c${index + 1} text`).join(', ');
  const command = [
    `tar -xzOf ${shellQuote(args.archive)} ${EXPORT_FOLDER}/bpdbjobs_most_columns.csv |`,
    `psql ${shellQuote(args.databaseUrl)} -q -v ON_ERROR_STOP=1`,
    `-c 'BEGIN' -c ${shellQuote(`CREATE TEMPORARY TABLE raw_jobs (${rawColumns}) ON COMMIT DROP`)}`,
    `-c ${shellQuote("\\copy raw_jobs from stdin with (format text, delimiter ',')")}`,
    `-c ${shellQuote(referenceMergeSql(master.rows[0]?.id ?? '0'))} -c 'COMMIT'`,
  ].join(' ');
  const start = performance.now();
  await run('bash', ['-o', 'pipefail', '-c', command]);
  return performance.now() - start;
}

/** INSERT … SELECT … ON CONFLICT into veritas_jobs from the raw text columns, with our merge's rules. */
function referenceMergeSql(masterServerId: string): string {
  const stage = jobStageTable(() => null).columns;
  const fields = stage.slice(0, 59);
  const expressions = fields.map((column, index) => {
    const raw = `nullif(r.c${index + 1}, '')`;
    if (column.name.startsWith('bytes_')) return `${raw}::bigint * 1024`;
    if (column.type === 'double precision') return `to_timestamp(nullif(${raw}, '0')::bigint)`;
    return column.type === 'text' ? raw : `${raw}::${column.type}`;
  });
  const names = [...fields.map((column) => column.name), 'extra', 'grid_serial', 'grid_name', 'grid_link_method'];
  const values = names.filter((name) => name !== 'job_id');
  return `INSERT INTO veritas_jobs AS existing (master_server_id, ${names.join(', ')}, last_job_id)
    SELECT ${masterServerId}, ${expressions.join(', ')},
      nullif(jsonb_strip_nulls(jsonb_build_object('field60', nullif(r.c60, ''), 'field61', nullif(r.c61, ''), 'field62', nullif(r.c62, ''))), '{}'),
      unit.grid_serial, unit.grid_name, unit.grid_link_method, '${randomUUID()}'::uuid
    FROM raw_jobs r LEFT JOIN veritas_storage_units unit ON unit.master_server_id = ${masterServerId} AND unit.label = r.c12
    ON CONFLICT (master_server_id, job_id) DO UPDATE SET ${values.map((name) => `${name} = excluded.${name}`).join(', ')}, last_job_id = excluded.last_job_id, updated_at = now()
    WHERE NOT (existing.state = 3 AND excluded.state <> 3)
      AND ROW(${values.map((name) => `existing.${name}`).join(', ')}) IS DISTINCT FROM ROW(${values.map((name) => `excluded.${name}`).join(', ')})`;
}

async function emptyTables(db: Kysely<Database>): Promise<void> {
  await sql`TRUNCATE veritas_master_servers, veritas_jobs, veritas_images, veritas_image_fragments CASCADE`.execute(db);
  await sql`VACUUM ANALYZE veritas_jobs`.execute(db);
  // Each run starts without the previous one's dirty pages still to be written.
  await sql`CHECKPOINT`.execute(db);
}

async function createDatabase(adminUrl: string, name: string): Promise<string> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

function run(command: string, args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${command} exited with ${code}`))));
  });
}

function shellQuote(text: string): string {
  return `'${text.replaceAll("'", "'\\''")}'`;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(2);
}

await main();
