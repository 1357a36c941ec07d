import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { builtInModules } from '../../../../src/modules/registry.js';
import { apiClient } from '../../../support/http-client.js';
import { startTestService, TEST_ADMIN_KEY, type TestService } from '../../../support/start-test-service.js';
import { buildExportArchive, type ExportFileContent } from './support/build-export-archive.js';
import { ingestExport } from './support/ingest-export.js';
import { readTarGzEntries } from './support/read-archive-entries.js';

const SMALL_TAR_GZ = fileURLToPath(new URL('../../../fixtures/upload/veritas2hview_small.tar.gz', import.meta.url));

/** Fixtures of formats spec §3 "Also seen in real NetBackup output"; see their README for each shape's source. */
function fixture(name: string): string {
  return readFileSync(new URL(`../../../fixtures/netbackup-real/${name}`, import.meta.url), 'utf8');
}

/**
 * The export through the real pipeline (real PostgreSQL, the module's real upsert) and the job's
 * API detail, for the NetBackup rules of formats spec §3 "Also seen in real NetBackup output".
 */
describe('hydrastor/veritas2hview: real NetBackup output, end to end', function () {
  this.timeout(120_000);
  let t: TestService;
  let scratch: string;
  let small: Map<string, Buffer>;
  const customers = ['nb_values', 'nb_all_columns', 'nb_no_u', 'nb_utf16', 'nb_images'];

  before(async () => {
    t = await startTestService({ modules: [...builtInModules], customers });
    scratch = await mkdtemp(path.join(tmpdir(), 'dp-test-nbreal-'));
    const entries = await readTarGzEntries(SMALL_TAR_GZ);
    small = new Map([...entries].map(([entryPath, content]) => [path.basename(entryPath), content]));
  });
  after(async () => {
    await t?.stop();
    if (scratch !== undefined) await rm(scratch, { recursive: true, force: true });
  });

  /** The small fixture without its manifest (so its digests do not apply), with files replaced. */
  async function ingest(customer: string, replace: Readonly<Record<string, ExportFileContent>>) {
    const files: Array<[string, ExportFileContent]> = [...small]
      .filter(([name]) => name !== 'manifest.json')
      .map(([name, content]) => [name, replace[name] ?? content]);
    const archivePath = await buildExportArchive({ dir: scratch, archiveName: `${customer}.tar.gz`, files, folder: 'export' });
    return ingestExport(t, { archivePath, customer });
  }

  async function detailOf(jobId: string) {
    const response = await apiClient(t.service.httpUrl!, TEST_ADMIN_KEY).get(`/api/1.0/jobs/${jobId}`);
    assert.equal(response.status, 200);
    return response.body as {
      status: string;
      error: { code: string; message: string } | null;
      parseIssues: { count: number; items: Array<{ file: string; line: number | null; what: string; raw: string | null }> };
    };
  }

  async function jobRow(customer: string, jobId: number) {
    const result = await sql<{
      percent_complete: number | null;
      compression: number | null;
      elapsed_seconds: string | null;
      bytes_written: string | null;
      files_written: string | null;
      kilobytes_per_second: string | null;
      extra: Record<string, string> | null;
    }>`
      SELECT job.percent_complete, job.compression, job.elapsed_seconds, job.bytes_written, job.files_written, job.kilobytes_per_second, job.extra
      FROM veritas_jobs job JOIN veritas_master_servers master ON master.id = job.master_server_id
      WHERE master.customer = ${customer} AND job.job_id = ${jobId}`.execute(t.service.database.db);
    return result.rows[0];
  }

  it('stores blank numbers as null and keeps fractional ones raw in extra, each listed on the job with file, line and raw value', async () => {
    const job = await ingest('nb_values', { 'bpdbjobs_most_columns.csv': fixture('bpdbjobs_blank_fractional.csv') });
    assert.equal(job.status, 'succeeded', `${job.error_code}: ${job.error_message}`);
    const first = await jobRow('nb_values', 5001);
    assert.equal(first?.percent_complete, null);
    assert.equal(first?.compression, null, 'a single space is null, not 0');
    assert.equal(first?.kilobytes_per_second, '106618.25');
    assert.deepEqual(first?.extra, { percent: '58.799999' });
    const second = await jobRow('nb_values', 5002);
    assert.deepEqual([second?.elapsed_seconds, second?.files_written, second?.bytes_written], [null, null, null]);
    assert.deepEqual(second?.extra, { kbytes: '8774710.5' });

    const detail = await detailOf(job.id);
    assert.equal(detail.parseIssues.count, 2);
    assert.deepEqual(detail.parseIssues.items, [
      {
        file: 'bpdbjobs_most_columns.csv',
        line: 1,
        what: 'job 5001: percent "58.799999" is not an integer; stored as null, kept raw in extra',
        raw: '58.799999',
      },
      {
        file: 'bpdbjobs_most_columns.csv',
        line: 2,
        what: 'job 5002: kbytes "8774710.5" is not a whole, non-negative number of KiB; stored as null, kept raw in extra',
        raw: '8774710.5',
      },
    ]);
  });

  it('fails an export made with -all_columns, naming the file, the line and the option, and loads nothing', async () => {
    const bpdbjobs = `${small.get('bpdbjobs_most_columns.csv')!.toString('utf8').split('\n').slice(0, 3).join('\n')}\n${fixture('bpdbjobs_all_columns_tries.csv')}`;
    const job = await ingest('nb_all_columns', { 'bpdbjobs_most_columns.csv': bpdbjobs });
    assert.equal(job.status, 'failed');
    assert.equal(job.error_code, 'BPDBJOBS_ALL_COLUMNS');
    assert.match(job.error_message ?? '', /bpdbjobs_most_columns\.csv line 5 \(job 5102\).*-all_columns.*export with `bpdbjobs -report -most_columns`/i);
    const detail = await detailOf(job.id);
    assert.equal(detail.error?.code, 'BPDBJOBS_ALL_COLUMNS');
    const rows = await sql<{ count: number }>`
      SELECT count(*)::integer AS count FROM veritas_jobs job JOIN veritas_master_servers master ON master.id = job.master_server_id
      WHERE master.customer = 'nb_all_columns'`.execute(t.service.database.db);
    assert.equal(rows.rows[0]?.count, 0, 'not even the jobs before the shifted record');
  });

  it('reports listings made without -U once per file and loads the rest of the export', async () => {
    const job = await ingest('nb_no_u', {
      'nbdevquery_listdp_U.txt': fixture('nbdevquery_listdp_no_U.txt'),
      'bpstulist_U.txt': fixture('bpstulist_no_U.txt'),
    });
    assert.equal(job.status, 'succeeded', `${job.error_code}: ${job.error_message}`);
    assert.equal((job.stats as Record<string, number>)['veritas_jobs'], 200, 'every job of the export is loaded');
    const detail = await detailOf(job.id);
    const withoutU = detail.parseIssues.items.filter((issue) => issue.what.includes('without -U'));
    assert.deepEqual(
      withoutU.map((issue) => [issue.file, issue.line, issue.raw]),
      [
        ['nbdevquery_listdp_U.txt', 1, fixture('nbdevquery_listdp_no_U.txt').split('\n')[0]],
        ['bpstulist_U.txt', 1, fixture('bpstulist_no_U.txt').split('\n')[0]],
      ],
    );
    assert.match(withoutU[0]!.what, /export with `nbdevquery -listdp -U`/);
    assert.match(withoutU[1]!.what, /export with `bpstulist -U`/);
  });

  it('reads UTF-16 and BOM-prefixed files, keeps a disk pool without a storage server unlinked', async () => {
    const bpdbjobs = small.get('bpdbjobs_most_columns.csv')!.toString('utf8');
    const job = await ingest('nb_utf16', {
      'bpdbjobs_most_columns.csv': Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(bpdbjobs, 'utf16le')]),
      'nbdevquery_listdp_U.txt': Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(fixture('nbdevquery_listdp_U_no_server.txt'))]),
    });
    assert.equal(job.status, 'succeeded', `${job.error_code}: ${job.error_message}`);
    assert.equal((job.stats as Record<string, number>)['veritas_jobs'], 200);
    const firstJob = await sql<{ job_id: string }>`
      SELECT min(job.job_id)::text AS job_id FROM veritas_jobs job JOIN veritas_master_servers master ON master.id = job.master_server_id
      WHERE master.customer = 'nb_utf16'`.execute(t.service.database.db);
    assert.equal(firstJob.rows[0]?.job_id, '4711', 'the BOM is not part of the first job id');
    const pools = await sql<{ name: string; storage_server: string | null; storage_servers: string[] }>`
      SELECT pool.name, pool.storage_server, pool.storage_servers FROM veritas_disk_pools pool
      JOIN veritas_master_servers master ON master.id = pool.master_server_id
      WHERE master.customer = 'nb_utf16' ORDER BY pool.name`.execute(t.service.database.db);
    assert.deepEqual(
      pools.rows.map((pool) => pool.name),
      ['dp_hydra_icecream_machine', 'dp_snapshots'],
    );
    assert.deepEqual(pools.rows[1], { name: 'dp_snapshots', storage_server: null, storage_servers: [] }, 'kept, with no server: linked to no grid');
    assert.equal((await detailOf(job.id)).parseIssues.count, 0);
  });

  it('stores expiration 2147483647 as infinity and a fragment whose field 9 is a path, unlinked, without issues', async () => {
    const job = await ingest('nb_images', { 'bpimagelist_l.txt': fixture('bpimagelist_l_real.txt') });
    assert.equal(job.status, 'succeeded', `${job.error_code}: ${job.error_message}`);
    const images = await sql<{ backup_id: string; never: boolean }>`
      SELECT image.backup_id, image.expires_at = 'infinity'::timestamptz AS never FROM veritas_images image
      JOIN veritas_master_servers master ON master.id = image.master_server_id
      WHERE master.customer = 'nb_images' ORDER BY image.backup_id`.execute(t.service.database.db);
    assert.deepEqual(images.rows, [
      { backup_id: 'fs13.acme.local_1673492401', never: true },
      { backup_id: 'vm42.acme.local_1673492500', never: false },
    ]);
    const fragments = await sql<{ backup_id: string; media_id: string; never: boolean; volume: string | null }>`
      SELECT fragment.backup_id, fragment.media_id, fragment.expires_at = 'infinity'::timestamptz AS never, volume.name AS volume
      FROM veritas_image_fragments fragment
      JOIN veritas_master_servers master ON master.id = fragment.master_server_id
      LEFT JOIN veritas_disk_volumes volume ON volume.master_server_id = fragment.master_server_id AND volume.disk_media_id = fragment.media_id
      WHERE master.customer = 'nb_images' ORDER BY fragment.backup_id`.execute(t.service.database.db);
    assert.deepEqual(fragments.rows, [
      { backup_id: 'fs13.acme.local_1673492401', media_id: '@aaaab', never: true, volume: 'ost_lsu_prod01' },
      { backup_id: 'vm42.acme.local_1673492500', media_id: '/shares/nbu_snap/vm42.acme.local_1673492500', never: false, volume: null },
    ]);
    assert.equal((await detailOf(job.id)).parseIssues.count, 0, 'HISTO zeros and a FRAG path are not issues');
  });
});
