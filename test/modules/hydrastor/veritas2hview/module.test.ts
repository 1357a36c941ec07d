import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { builtInModules } from '../../../../src/modules/registry.js';
import { generateBpdbjobsChunks, isGeneratedJobRunning } from '../../../../src/modules/hydrastor/veritas2hview/generate-bpdbjobs.js';
import { startTestService, type TestService } from '../../../support/start-test-service.js';
import { buildExportArchive, type ExportFileContent } from './support/build-export-archive.js';
import { countRows, ingestExport, tableChecksums, tmpFiles } from './support/ingest-export.js';
import { readTarGzEntries } from './support/read-archive-entries.js';

const FIXTURES = new URL('../../../fixtures/', import.meta.url);
const SMALL_TAR_GZ = fileURLToPath(new URL('upload/veritas2hview_small.tar.gz', FIXTURES));
const SMALL_ZIP = fileURLToPath(new URL('upload/veritas2hview_small.zip', FIXTURES));
const TRUTH = JSON.parse(readFileSync(new URL('upload/veritas2hview_small.truth.json', FIXTURES), 'utf8')) as {
  jobs: number;
  running: number;
  images: number;
  hydrastor_jobs: number;
  storage_server: string;
  grid_serial: string;
  lsus: string[];
  master: string;
  kbytes_done_hydrastor: number;
};
const HOSTILE = [
  ['traversal.tar.gz', 'ARCHIVE_UNSAFE_ENTRIES'],
  ['zipslip.zip', 'ARCHIVE_UNSAFE_ENTRIES'],
  ['bomb_512MiB.zip', 'ARCHIVE_LIMIT_EXCEEDED'],
  ['truncated.tar.gz', 'ARCHIVE_CORRUPT'],
  ['not_an_archive.tar.gz', 'ARCHIVE_UNSUPPORTED'],
] as const;
const GENERATED_JOBS = 200_000;

/** The small fixture's files by base name, in the order the export tool wrote them. */
async function smallFixtureFiles(): Promise<Map<string, Buffer>> {
  const entries = await readTarGzEntries(SMALL_TAR_GZ);
  return new Map([...entries].map(([entryPath, content]) => [path.basename(entryPath), content]));
}

/** The fixture's files except the manifest (and any other left out), with replacements. */
function exportFiles(
  files: ReadonlyMap<string, Buffer>,
  args: { readonly replace?: Record<string, ExportFileContent>; readonly omit?: readonly string[] } = {},
): Array<[string, ExportFileContent]> {
  const omit = new Set(['manifest.json', ...(args.omit ?? [])]);
  return [...files].filter(([name]) => !omit.has(name)).map(([name, content]) => [name, args.replace?.[name] ?? content]);
}

/** Rewrites one bpdbjobs record's fields (0-based positions) by job id. */
function withJobFields(bpdbjobs: string, jobId: number, fields: Readonly<Record<number, string>>): string {
  return bpdbjobs
    .split('\n')
    .map((line) => {
      if (!line.startsWith(`${jobId},`)) return line;
      const values = line.split(/(?<!\\),/);
      for (const [position, value] of Object.entries(fields)) values[Number(position)] = value;
      return values.join(',');
    })
    .join('\n');
}

describe('hydrastor/veritas2hview module (real service, real PostgreSQL)', function () {
  this.timeout(180_000);
  let t: TestService;
  let scratch: string;
  let fixture: Map<string, Buffer>;

  before(async () => {
    t = await startTestService({
      modules: [...builtInModules],
      customers: ['bobs_burgers', 'krusty_burger', 'moes_tavern', 'big_kahuna', 'lard_lad', 'kwik_e_mart'],
    });
    scratch = await mkdtemp(path.join(tmpdir(), 'dp-test-veritas-'));
    fixture = await smallFixtureFiles();
  });
  after(async () => {
    await t?.stop();
    if (scratch !== undefined) await rm(scratch, { recursive: true, force: true });
  });

  const db = () => t.service.database.db;

  describe('the small export', () => {
    let firstJobId: string;

    it('stores exactly the counts of the truth file from the .tar.gz', async () => {
      const job = await ingestExport(t, { archivePath: SMALL_TAR_GZ });
      assert.equal(job.status, 'succeeded', job.error_message ?? '');
      firstJobId = job.id;
      assert.equal(await countRows(t, sql`SELECT count(*) FROM veritas_jobs`), TRUTH.jobs);
      assert.equal(await countRows(t, sql`SELECT count(*) FROM veritas_jobs WHERE state = 1`), TRUTH.running);
      assert.equal(await countRows(t, sql`SELECT count(*) FROM veritas_images`), TRUTH.images);
      assert.equal(
        await countRows(t, sql`SELECT count(*) FROM veritas_jobs WHERE grid_serial = ${TRUTH.grid_serial} AND grid_name = 'icecream_machine'`),
        TRUTH.hydrastor_jobs,
      );
      const doneBytes = await sql<{ kilobytes: string }>`
        SELECT (sum(bytes_written) / 1024)::text AS kilobytes FROM veritas_jobs WHERE state = 3 AND grid_serial = ${TRUTH.grid_serial}`.execute(db());
      assert.equal(Number(doneBytes.rows[0]?.kilobytes), TRUTH.kbytes_done_hydrastor);
      const masters = await sql<{ name: string; netbackup_version: string }>`SELECT name, netbackup_version FROM veritas_master_servers`.execute(db());
      assert.deepEqual(masters.rows, [{ name: TRUTH.master, netbackup_version: '10.1.1' }]);
      assert.deepEqual((job.stats as Record<string, number>)['veritas_jobs'], TRUTH.jobs);
    });

    it('records how the storage server reached its grid and links the LSUs', async () => {
      const servers = await sql<{ name: string; grid_serial: string | null; grid_link_method: string | null; link_outcome: string }>`
        SELECT name, grid_serial, grid_link_method, link_outcome FROM veritas_storage_servers ORDER BY name`.execute(db());
      assert.deepEqual(servers.rows, [
        { name: TRUTH.storage_server, grid_serial: TRUTH.grid_serial, grid_link_method: 'map_file', link_outcome: 'linked' },
        { name: 'msdp01.acme.local', grid_serial: null, grid_link_method: null, link_outcome: 'not_hydrastor' },
      ]);
      const volumes = await sql<{ lsu: string; grid_serial: string; filesystem_found: boolean }>`
        SELECT lsu, grid_serial, filesystem_found FROM veritas_disk_volume_filesystems ORDER BY lsu`.execute(db());
      assert.deepEqual(
        volumes.rows,
        TRUTH.lsus.map((lsu) => ({ lsu, grid_serial: TRUTH.grid_serial, filesystem_found: false })),
      );
      const fragmentsOnLsus = await countRows(
        t,
        sql`
        SELECT count(*) FROM veritas_image_fragments fragment
        JOIN veritas_disk_volumes volume ON volume.master_server_id = fragment.master_server_id AND volume.disk_media_id = fragment.media_id
        WHERE volume.is_hydrastor`,
      );
      assert.ok(fragmentsOnLsus > 0, 'fragments reach their LSU by disk media id');
      assert.equal(await countRows(t, sql`SELECT count(*) FROM veritas_image_fragments WHERE size_bytes IS NULL OR media_date IS NULL`), 0);
    });

    it("joins an LSU to the grid's file system once a system report has stored it", async () => {
      await sql`
        WITH grid AS (
          INSERT INTO hydrastor_grids (customer, serial_number, name, last_job_id)
          VALUES ('bobs_burgers', ${TRUTH.grid_serial}, 'icecream_machine', gen_random_uuid()) RETURNING id
        )
        INSERT INTO hydrastor_filesystems (grid_id, fs_name, first_report_time, last_report_time, last_job_id)
        SELECT id, ${TRUTH.lsus[0]}, now(), now(), gen_random_uuid() FROM grid`.execute(db());
      const volumes = await sql<{ lsu: string; fs_name: string | null; filesystem_found: boolean }>`
        SELECT lsu, fs_name, filesystem_found FROM veritas_disk_volume_filesystems ORDER BY lsu`.execute(db());
      assert.deepEqual(volumes.rows, [
        { lsu: TRUTH.lsus[0], fs_name: TRUTH.lsus[0], filesystem_found: true },
        { lsu: TRUTH.lsus[1], fs_name: null, filesystem_found: false },
      ]);
    });

    it('traces every row to the job that wrote it', async () => {
      for (const table of [
        'veritas_master_servers',
        'veritas_exports',
        'veritas_storage_servers',
        'veritas_disk_pools',
        'veritas_disk_volumes',
        'veritas_storage_units',
        'veritas_jobs',
        'veritas_images',
        'veritas_image_fragments',
      ]) {
        const others = await countRows(t, sql`SELECT count(*) FROM ${sql.table(table)} WHERE last_job_id <> ${firstJobId}::uuid`);
        const all = await countRows(t, sql`SELECT count(*) FROM ${sql.table(table)}`);
        assert.equal(others, 0, table);
        assert.ok(all > 0, `${table} has rows`);
      }
    });

    it('changes nothing when the .zip twin arrives afterwards', async () => {
      const before = await tableChecksums(t);
      const job = await ingestExport(t, { archivePath: SMALL_ZIP });
      assert.equal(job.status, 'succeeded', job.error_message ?? '');
      assert.deepEqual(await tableChecksums(t), before);
      const stats = job.stats as Record<string, number>;
      assert.equal(stats['veritas_jobs'], 0);
      assert.equal(stats['jobs_read'], TRUTH.jobs);
    });

    it('updates a running job that is now done, and never sets a done job back to running', async () => {
      const running = await sql<{ job_id: string }>`SELECT job_id::text FROM veritas_jobs WHERE state = 1 ORDER BY job_id LIMIT 1`.execute(db());
      const done = await sql<{
        job_id: string;
        ended_at: Date;
      }>`SELECT job_id::text, ended_at FROM veritas_jobs WHERE state = 3 ORDER BY job_id LIMIT 1`.execute(db());
      const runningId = Number(running.rows[0]?.job_id);
      const doneId = Number(done.rows[0]?.job_id);
      const endedEpoch = 1_673_600_000;
      let bpdbjobs = fixture.get('bpdbjobs_most_columns.csv')?.toString('utf8') ?? '';
      bpdbjobs = withJobFields(bpdbjobs, runningId, { 2: '3', 3: '0', 10: String(endedEpoch), 17: '100' });
      bpdbjobs = withJobFields(bpdbjobs, doneId, { 2: '1', 3: '', 10: '0' });
      const archivePath = await buildExportArchive({
        dir: scratch,
        archiveName: 'later.tar.gz',
        files: exportFiles(fixture, { replace: { 'bpdbjobs_most_columns.csv': bpdbjobs } }),
      });
      const job = await ingestExport(t, { archivePath });
      assert.equal(job.status, 'succeeded', job.error_message ?? '');
      assert.equal((job.stats as Record<string, number>)['veritas_jobs'], 1, 'only the finished job changed');
      const rows = await sql<{ job_id: string; state: number; ended_at: Date | null; last_job_id: string }>`
        SELECT job_id::text, state, ended_at, last_job_id::text FROM veritas_jobs WHERE job_id IN (${runningId}, ${doneId}) ORDER BY job_id`.execute(db());
      const byId = new Map(rows.rows.map((row) => [Number(row.job_id), row]));
      assert.equal(byId.get(runningId)?.state, 3);
      assert.equal(byId.get(runningId)?.ended_at?.getTime(), endedEpoch * 1000);
      assert.equal(byId.get(runningId)?.last_job_id, job.id);
      assert.equal(byId.get(doneId)?.state, 3, 'a done job stays done');
      assert.deepEqual(byId.get(doneId)?.ended_at, done.rows[0]?.ended_at);
      assert.notEqual(byId.get(doneId)?.last_job_id, job.id);
      assert.equal(await countRows(t, sql`SELECT count(*) FROM veritas_jobs WHERE state = 1`), TRUTH.running - 1);
    });
  });

  describe('failures commit nothing', () => {
    for (const [file, code] of HOSTILE) {
      it(`fails ${file} with ${code}, no rows, tmp/ clean`, async () => {
        const before = await tableChecksums(t);
        const job = await ingestExport(t, { archivePath: fileURLToPath(new URL(`hostile/${file}`, FIXTURES)), customer: 'krusty_burger' });
        assert.equal(job.status, 'failed');
        assert.equal(job.error_code, code, job.error_message ?? '');
        assert.ok((job.error_message ?? '').length > 10, 'the error says what went wrong');
        assert.deepEqual(await tableChecksums(t), before);
        assert.deepEqual(await tmpFiles(t), []);
      });
    }

    it("fails the job when a file does not match the manifest's SHA-256", async () => {
      const before = await tableChecksums(t);
      const bpdbjobs = Buffer.from(fixture.get('bpdbjobs_most_columns.csv') ?? '');
      bpdbjobs[10] = bpdbjobs[10] === 0x31 ? 0x32 : 0x31;
      const archivePath = await buildExportArchive({
        dir: scratch,
        archiveName: 'altered.tar.gz',
        folder: 'Veritas2Hview_nbumaster02',
        files: exportFiles(fixture, { replace: { 'bpdbjobs_most_columns.csv': bpdbjobs } }),
        manifest: {
          masterServer: 'nbumaster02.acme.local',
          sha256Overrides: { 'bpdbjobs_most_columns.csv': createSha(fixture.get('bpdbjobs_most_columns.csv')) },
        },
      });
      const job = await ingestExport(t, { archivePath, customer: 'krusty_burger' });
      assert.equal(job.status, 'failed');
      assert.equal(job.error_code, 'MANIFEST_DIGEST_MISMATCH');
      assert.match(job.error_message ?? '', /bpdbjobs_most_columns\.csv: SHA-256 is [0-9a-f]{64} but manifest\.json says/);
      assert.deepEqual(await tableChecksums(t), before);
      assert.deepEqual(await tmpFiles(t), []);
    });

    it('fails an archive without bpdbjobs naming the missing file', async () => {
      const archivePath = await buildExportArchive({
        dir: scratch,
        archiveName: 'no-jobs.tar.gz',
        files: exportFiles(fixture, { omit: ['bpdbjobs_most_columns.csv'] }),
      });
      const job = await ingestExport(t, { archivePath, customer: 'krusty_burger' });
      assert.equal(job.error_code, 'EXPORT_FILE_MISSING');
      assert.match(job.error_message ?? '', /bpdbjobs_most_columns\.csv/);
    });
  });

  describe('grid links without a map file', () => {
    it("uses the database mapping first, then the upload key's grid", async () => {
      await sql`INSERT INTO veritas_grid_mappings (customer, storage_server, grid_serial, grid_name)
        VALUES ('moes_tavern', ${TRUTH.storage_server.toUpperCase()}, '8A5-000999', 'moes_grid')`.execute(db());
      const archivePath = await buildExportArchive({
        dir: scratch,
        archiveName: 'no-map.tar.gz',
        files: exportFiles(fixture, { omit: ['hydrastor_map.csv'] }),
      });
      const mapped = await ingestExport(t, { archivePath, customer: 'moes_tavern', group: 'icecream_machine' });
      assert.equal(mapped.status, 'succeeded', mapped.error_message ?? '');
      const viaKey = await ingestExport(t, { archivePath, customer: 'big_kahuna', group: 'kahuna_grid' });
      assert.equal(viaKey.status, 'succeeded', viaKey.error_message ?? '');
      const links = await sql<{ customer: string; grid_serial: string | null; grid_name: string | null; grid_link_method: string }>`
        SELECT master.customer, server.grid_serial, server.grid_name, server.grid_link_method
        FROM veritas_storage_servers server JOIN veritas_master_servers master ON master.id = server.master_server_id
        WHERE server.is_hydrastor AND master.customer IN ('moes_tavern', 'big_kahuna') ORDER BY master.customer`.execute(db());
      assert.deepEqual(links.rows, [
        { customer: 'big_kahuna', grid_serial: null, grid_name: 'kahuna_grid', grid_link_method: 's3_key' },
        { customer: 'moes_tavern', grid_serial: '8A5-000999', grid_name: 'moes_grid', grid_link_method: 'database' },
      ]);
      const keyLinkedJobs = await countRows(
        t,
        sql`
        SELECT count(*) FROM veritas_jobs job JOIN veritas_master_servers master ON master.id = job.master_server_id
        WHERE master.customer = 'big_kahuna' AND job.grid_link_method = 's3_key' AND job.grid_name = 'kahuna_grid'`,
      );
      assert.equal(keyLinkedJobs, TRUTH.hydrastor_jobs);
    });
  });

  describe('tolerances', () => {
    const jobsOf = (customer: string, where = sql``) =>
      countRows(
        t,
        sql`
      SELECT count(*) FROM veritas_jobs job JOIN veritas_master_servers master ON master.id = job.master_server_id
      WHERE master.customer = ${customer} ${where}`,
      );

    it('reads CRLF files, ignores unknown extra files and a __MACOSX folder', async () => {
      const crlf = (content: Buffer): Buffer => Buffer.from(content.toString('utf8').replace(/\r?\n/g, '\r\n'));
      const files = exportFiles(fixture).map(([name, content]): [string, ExportFileContent] => [name, crlf(content as Buffer)]);
      const archivePath = await buildExportArchive({
        dir: scratch,
        archiveName: 'crlf.tar.gz',
        folder: 'export',
        files: [['notes.txt', 'not ours'], ...files, ['__MACOSX/._bpdbjobs_most_columns.csv', 'resource fork']],
      });
      const job = await ingestExport(t, { archivePath, customer: 'lard_lad' });
      assert.equal(job.status, 'succeeded', job.error_message ?? '');
      assert.equal(await jobsOf('lard_lad'), TRUTH.jobs);
      assert.equal(await jobsOf('lard_lad', sql`AND job.state = 1`), TRUTH.running);
      assert.equal(await jobsOf('lard_lad', sql`AND job.grid_serial = ${TRUTH.grid_serial}`), TRUTH.hydrastor_jobs);
      assert.equal(await jobsOf('lard_lad', sql`AND job.policy LIKE '%' || chr(13) || '%'`), 0, 'no CR left in values');
      const stats = job.stats as Record<string, number>;
      assert.equal(stats['veritas_images'], TRUTH.images);
      assert.equal(stats['parse_issues'], 2, 'the two foreign entries are listed as ignored');
    });

    it('loads the jobs of an export that has only bpdbjobs', async () => {
      const archivePath = await buildExportArchive({
        dir: scratch,
        archiveName: 'only-jobs.tar.gz',
        files: [['bpdbjobs_most_columns.csv', fixture.get('bpdbjobs_most_columns.csv') as Buffer]],
      });
      const job = await ingestExport(t, { archivePath, customer: 'kwik_e_mart' });
      assert.equal(job.status, 'succeeded', job.error_message ?? '');
      assert.equal(await jobsOf('kwik_e_mart'), TRUTH.jobs);
      assert.equal(await jobsOf('kwik_e_mart', sql`AND job.grid_serial IS NOT NULL`), 0, 'no listings: no storage unit leads anywhere');
    });
  });

  describe('a generated export', () => {
    it(`loads ${GENERATED_JOBS.toLocaleString('en')} jobs with the right counts`, async () => {
      const files = exportFiles(fixture, {
        omit: ['bpimagelist_l.txt'],
        replace: { 'bpdbjobs_most_columns.csv': generateBpdbjobsChunks({ seed: 7, jobs: GENERATED_JOBS, firstJobId: 1_000_000, embeddedNewlineEvery: 997 }) },
      });
      const archivePath = await buildExportArchive({ dir: scratch, archiveName: 'generated.tar.gz', folder: 'Veritas2Hview_generated', files });
      const job = await ingestExport(t, { archivePath, customer: 'krusty_burger', timeoutMs: 150_000 });
      assert.equal(job.status, 'succeeded', job.error_message ?? '');
      const stats = job.stats as Record<string, number>;
      assert.equal(stats['jobs_read'], GENERATED_JOBS);
      assert.equal(stats['veritas_jobs'], GENERATED_JOBS);
      const scope = sql`FROM veritas_jobs job JOIN veritas_master_servers master ON master.id = job.master_server_id WHERE master.customer = 'krusty_burger'`;
      assert.equal(await countRows(t, sql`SELECT count(*) ${scope}`), GENERATED_JOBS);
      let running = 0;
      for (let index = 0; index < GENERATED_JOBS; index += 1) if (isGeneratedJobRunning(index)) running += 1;
      assert.equal(await countRows(t, sql`SELECT count(*) ${scope} AND job.state = 1`), running);
      assert.equal(await countRows(t, sql`SELECT count(*) ${scope} AND job.grid_serial = ${TRUTH.grid_serial}`), GENERATED_JOBS / 2);
      assert.equal(await countRows(t, sql`SELECT count(*) ${scope} AND job.path_last_written LIKE '%' || chr(10) || '%'`), Math.floor(GENERATED_JOBS / 997));
    });
  });
});

function createSha(content: Buffer | undefined): string {
  return createHash('sha256')
    .update(content ?? '')
    .digest('hex');
}
