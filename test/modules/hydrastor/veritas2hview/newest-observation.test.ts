import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { builtInModules } from '../../../../src/modules/registry.js';
import { startTestService, type TestService } from '../../../support/start-test-service.js';
import { buildExportArchive } from './support/build-export-archive.js';
import { exportFiles, replaceInLine, SMALL_TAR_GZ, smallFixtureFiles, withJobFields, withoutJob } from './support/export-variants.js';
import { ingestExport } from './support/ingest-export.js';

/** The small fixture's manifest generatedAt; the "newer" exports below are a day later. */
const FIXTURE_TIME = new Date('2023-01-13T03:00:00Z');
const NEWER_TIME = '2023-01-14T03:00:00+00:00';
const MASTER = 'nbumaster01.acme.local';
/** Running in the fixture (elapsed 2730 s, 25 %). */
const RUNNING_JOB = 4735;
/** Done in the fixture; the newer export no longer lists it. */
const AGED_OUT_JOB = 4712;
const IMAGE = 'fs13.acme.local_1673492401';
const LATER_EXPIRY = 1_678_676_400;
const GIB = 2n ** 30n;

const CUSTOMERS = ['late_older', 'late_newer', 'late_undated', 'late_tie', 'late_future', 'late_flip'];

describe('hydrastor/veritas2hview: the newest observation wins (real service, real PostgreSQL)', function () {
  this.timeout(120_000);
  let t: TestService;
  let scratch: string;
  let fixture: Map<string, string>;
  /** The fixture one day on: the running job further along, one job gone, a volume fuller, a unit and an image changed, a second image copy. */
  let newerFiles: Map<string, string>;

  before(async () => {
    t = await startTestService({ modules: [...builtInModules], customers: CUSTOMERS });
    scratch = await mkdtemp(path.join(tmpdir(), 'dp-test-veritas-newest-'));
    fixture = await smallFixtureFiles();
    const volumes = fixture.get('nbdevquery_listdv_U.txt') ?? '';
    const fullerVolume = volumes.replace(
      'Disk Volume Name    : ost_lsu_prod01\nDisk Media ID       : @aaaab\nTotal Capacity (GB) : 518400.00\nFree Space (GB)     : 212227.17',
      'Disk Volume Name    : ost_lsu_prod01\nDisk Media ID       : @aaaab\nTotal Capacity (GB) : 518400.00\nFree Space (GB)     : 100000.00',
    );
    const units = fixture.get('bpstulist_U.txt') ?? '';
    const images = replaceInLine(fixture.get('bpimagelist_l.txt') ?? '', `IMAGE fs13.acme.local 0 0 13 ${IMAGE} `, ' 1676084400 ', ` ${LATER_EXPIRY} `);
    const firstFragment =
      'FRAG 1 1 8774710 0 0 0 0 @aaaab nbumedia01.acme.local 262144 0 1673492401 -1 0 *NULL* 1676084400 0 3 0 0 0 0 0 0 0 0 *NULL* *NULL* 0 0';
    newerFiles = new Map(fixture);
    newerFiles.set(
      'bpdbjobs_most_columns.csv',
      withoutJob(withJobFields(fixture.get('bpdbjobs_most_columns.csv') ?? '', RUNNING_JOB, { 9: '0000009000', 17: '80' }), AGED_OUT_JOB),
    );
    newerFiles.set('nbdevquery_listdv_U.txt', fullerVolume);
    newerFiles.set('bpstulist_U.txt', units.replace('Concurrent Jobs:      40', 'Concurrent Jobs:      60'));
    newerFiles.set(
      'bpimagelist_l.txt',
      images.replace(firstFragment, `${firstFragment}\n${firstFragment.replace('FRAG 1 1 ', 'FRAG 2 1 ').replace('@aaaab', '@aaaac')}`),
    );
    assert.notEqual(fullerVolume, volumes);
    assert.notEqual(newerFiles.get('bpstulist_U.txt'), units);
    assert.notEqual(newerFiles.get('bpimagelist_l.txt'), images);
  });
  after(async () => {
    await t?.stop();
    if (scratch !== undefined) await rm(scratch, { recursive: true, force: true });
  });

  async function newerExport(name: string, args: { readonly generatedAt?: string; readonly files?: ReadonlyMap<string, string> } = {}): Promise<string> {
    return buildExportArchive({
      dir: scratch,
      archiveName: name,
      folder: 'Veritas2Hview_newer',
      files: exportFiles(args.files ?? newerFiles),
      manifest: { masterServer: MASTER, generatedAt: args.generatedAt ?? NEWER_TIME },
    });
  }

  /** What the changes above touch, as stored for one customer. */
  async function state(customer: string) {
    const db = t.service.database.db;
    const master = sql`(SELECT id FROM veritas_master_servers WHERE customer = ${customer})`;
    const jobs = await sql<{ job_id: string; elapsed_seconds: string; percent_complete: number; observed_at: Date | null; last_job_id: string }>`
      SELECT job_id::text, elapsed_seconds, percent_complete, observed_at, last_job_id::text FROM veritas_jobs
      WHERE master_server_id = ${master} AND job_id IN (${RUNNING_JOB}, ${AGED_OUT_JOB}) ORDER BY job_id`.execute(db);
    const volume = await sql<{ free_space_bytes: string }>`
      SELECT free_space_bytes FROM veritas_disk_volumes WHERE master_server_id = ${master} AND name = 'ost_lsu_prod01'`.execute(db);
    const unit = await sql<{ concurrent_jobs: number }>`
      SELECT concurrent_jobs FROM veritas_storage_units WHERE master_server_id = ${master} AND label = 'stu_hydra_icecream_machine'`.execute(db);
    const image = await sql<{ expires_at: Date }>`SELECT expires_at FROM veritas_images WHERE master_server_id = ${master} AND backup_id = ${IMAGE}`.execute(
      db,
    );
    const fragments = await sql<{ copy_number: number }>`
      SELECT copy_number FROM veritas_image_fragments WHERE master_server_id = ${master} AND backup_id = ${IMAGE} ORDER BY copy_number`.execute(db);
    const lastExport = await sql<{ last_export_at: Date | null }>`SELECT last_export_at FROM veritas_master_servers WHERE customer = ${customer}`.execute(db);
    const byId = new Map(jobs.rows.map((row) => [Number(row.job_id), row]));
    return {
      running: byId.get(RUNNING_JOB),
      agedOut: byId.get(AGED_OUT_JOB),
      freeSpaceBytes: volume.rows[0]?.free_space_bytes,
      concurrentJobs: unit.rows[0]?.concurrent_jobs,
      imageExpiresAt: image.rows[0]?.expires_at,
      fragmentCopies: fragments.rows.map((row) => row.copy_number),
      lastExportAt: lastExport.rows[0]?.last_export_at,
    };
  }

  function assertNewerValues(stored: Awaited<ReturnType<typeof state>>): void {
    assert.deepEqual([stored.running?.elapsed_seconds, stored.running?.percent_complete], ['9000', 80], 'the running job as the newer export saw it');
    assert.equal(stored.freeSpaceBytes, String(100_000n * GIB), 'the volume as the newer export saw it');
    assert.equal(stored.concurrentJobs, 60);
    assert.deepEqual(stored.imageExpiresAt, new Date(LATER_EXPIRY * 1000));
    assert.deepEqual(stored.fragmentCopies, [1, 2], 'the image keeps the copy the newer export listed');
    assert.deepEqual(stored.lastExportAt, new Date(NEWER_TIME));
  }

  it("keeps the newer export's values when an older export arrives after it; the older one only adds missing rows", async () => {
    const newer = await ingestExport(t, { archivePath: await newerExport('newer.tar.gz'), customer: 'late_older' });
    assert.equal(newer.status, 'succeeded', newer.error_message ?? '');
    const before = await state('late_older');
    assert.equal(before.agedOut, undefined);
    assertNewerValues(before);

    const older = await ingestExport(t, { archivePath: SMALL_TAR_GZ, customer: 'late_older' });
    assert.equal(older.status, 'succeeded', older.error_message ?? '');
    const after = await state('late_older');
    assertNewerValues(after);
    assert.deepEqual(after.running, before.running, 'untouched: same values, observation and job');
    assert.deepEqual(
      [after.agedOut?.observed_at, after.agedOut?.last_job_id],
      [FIXTURE_TIME, older.id],
      'the job only the older export lists is added, with its time',
    );
    const stats = older.stats as Record<string, number>;
    assert.deepEqual(
      [
        stats['veritas_jobs'],
        stats['veritas_images'],
        stats['veritas_image_fragments'],
        stats['veritas_disk_volumes'],
        stats['veritas_storage_units'],
        stats['veritas_master_servers'],
      ],
      [1, 0, 0, 0, 0, 0],
      'the older export wrote the one missing job and nothing else',
    );
  });

  it('lets the newer export win when it arrives after the older one', async () => {
    const older = await ingestExport(t, { archivePath: SMALL_TAR_GZ, customer: 'late_newer' });
    assert.equal(older.status, 'succeeded', older.error_message ?? '');
    const newer = await ingestExport(t, { archivePath: await newerExport('newer-second.tar.gz'), customer: 'late_newer' });
    assert.equal(newer.status, 'succeeded', newer.error_message ?? '');
    const stored = await state('late_newer');
    assertNewerValues(stored);
    assert.deepEqual(stored.running?.observed_at, new Date(NEWER_TIME));
    assert.deepEqual(
      [stored.agedOut?.observed_at, stored.agedOut?.last_job_id],
      [FIXTURE_TIME, older.id],
      'a job the newer export no longer lists stays as last seen',
    );
  });

  it('keeps a listing the latest export confirmed unchanged when a middle export with other values arrives last', async () => {
    // Monday and Wednesday list the volume and unit alike; Tuesday's (other values) arrives last.
    const monday = await ingestExport(t, { archivePath: SMALL_TAR_GZ, customer: 'late_flip' });
    assert.equal(monday.status, 'succeeded', monday.error_message ?? '');
    const wednesday = await ingestExport(t, {
      archivePath: await newerExport('wednesday.tar.gz', { generatedAt: '2023-01-15T03:00:00+00:00', files: fixture }),
      customer: 'late_flip',
    });
    assert.equal(wednesday.status, 'succeeded', wednesday.error_message ?? '');
    const tuesday = await ingestExport(t, { archivePath: await newerExport('tuesday.tar.gz'), customer: 'late_flip' });
    assert.equal(tuesday.status, 'succeeded', tuesday.error_message ?? '');
    const stored = await state('late_flip');
    assert.equal(stored.freeSpaceBytes, String((21_222_717n * GIB) / 100n), 'the volume as Wednesday (and Monday) saw it');
    assert.equal(stored.concurrentJobs, 40, 'the unit as Wednesday (and Monday) saw it');
  });

  it('dates an export without a manifest by its newest job time, and an older dated export only fills gaps after it', async () => {
    // The running job's start plus 90,000 s lies an hour after the fixture's generatedAt.
    const files = new Map(newerFiles);
    files.set(
      'bpdbjobs_most_columns.csv',
      withoutJob(withJobFields(fixture.get('bpdbjobs_most_columns.csv') ?? '', RUNNING_JOB, { 9: '0000090000', 17: '95' }), AGED_OUT_JOB),
    );
    const archivePath = await buildExportArchive({ dir: scratch, archiveName: 'undated.tar.gz', files: exportFiles(files) });
    const undated = await ingestExport(t, { archivePath, customer: 'late_undated' });
    assert.equal(undated.status, 'succeeded', undated.error_message ?? '');
    const estimated = new Date((1_673_492_568 + 90_000) * 1000);
    const record = await sql<{ observed_at: Date | null; observed_from: string | null; generated_at: Date | null }>`
      SELECT e.observed_at, e.observed_from, e.generated_at FROM veritas_exports e WHERE e.last_job_id = ${undated.id}::uuid`.execute(t.service.database.db);
    assert.deepEqual(record.rows, [{ observed_at: estimated, observed_from: 'job_times', generated_at: null }]);

    const older = await ingestExport(t, { archivePath: SMALL_TAR_GZ, customer: 'late_undated' });
    assert.equal(older.status, 'succeeded', older.error_message ?? '');
    const stored = await state('late_undated');
    assert.deepEqual([stored.running?.elapsed_seconds, stored.running?.percent_complete, stored.running?.observed_at], ['90000', 95, estimated]);
    assert.equal(stored.freeSpaceBytes, String(100_000n * GIB));
    assert.deepEqual(stored.fragmentCopies, [1, 2]);
    assert.equal(stored.agedOut?.last_job_id, older.id, 'the gap is filled');
    assert.deepEqual(stored.lastExportAt, estimated);
  });

  it('between exports of the same time, keeps the record that shows a job further along', async () => {
    const further = await ingestExport(t, { archivePath: await newerExport('further.tar.gz'), customer: 'late_tie' });
    assert.equal(further.status, 'succeeded', further.error_message ?? '');
    const lessFiles = new Map(newerFiles);
    lessFiles.set('bpdbjobs_most_columns.csv', withJobFields(newerFiles.get('bpdbjobs_most_columns.csv') ?? '', RUNNING_JOB, { 9: '0000005000', 17: '50' }));
    const less = await ingestExport(t, { archivePath: await newerExport('less.tar.gz', { files: lessFiles }), customer: 'late_tie' });
    assert.equal(less.status, 'succeeded', less.error_message ?? '');
    const stored = await state('late_tie');
    assert.deepEqual([stored.running?.elapsed_seconds, stored.running?.percent_complete, stored.running?.last_job_id], ['9000', 80, further.id]);
  });

  it('takes the load time, with a warning, for a generatedAt in the future', async () => {
    const startedAt = Date.now();
    const job = await ingestExport(t, {
      archivePath: await newerExport('future.tar.gz', { generatedAt: '2099-01-01T00:00:00+00:00' }),
      customer: 'late_future',
    });
    assert.equal(job.status, 'succeeded', job.error_message ?? '');
    const record = await sql<{ observed_at: Date; observed_from: string; generated_at: Date; issues: Array<{ message: string }> }>`
      SELECT observed_at, observed_from, generated_at, issues FROM veritas_exports WHERE last_job_id = ${job.id}::uuid`.execute(t.service.database.db);
    const row = record.rows[0];
    assert.equal(row?.observed_from, 'load_time');
    assert.deepEqual(row?.generated_at, new Date('2099-01-01T00:00:00Z'), "the manifest's own value is kept as it was");
    assert.ok(row !== undefined && row.observed_at.getTime() >= startedAt - 1000 && row.observed_at.getTime() <= Date.now());
    assert.ok(row?.issues.some((issue) => /generatedAt \(2099-01-01T00:00:00\.000Z\) is later than the load time/.test(issue.message)));
    const running = (await state('late_future')).running;
    assert.deepEqual(running?.observed_at, row?.observed_at);
  });
});
