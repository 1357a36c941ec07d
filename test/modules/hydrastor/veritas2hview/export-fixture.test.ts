import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { JOB_STATE } from '../../../../src/modules/hydrastor/veritas2hview/bpdbjobs-record.js';
import { resolveStorageUnit } from '../../../../src/modules/hydrastor/veritas2hview/correlate.js';
import { basenameOfExportEntry, missingRequiredExportFiles } from '../../../../src/modules/hydrastor/veritas2hview/export-entry-kind.js';
import { checkManifestDigest } from '../../../../src/modules/hydrastor/veritas2hview/parse-manifest.js';
import { parseExportEntries, type ParsedExport } from './support/parse-export.js';
import { readTarGzEntries, readZipEntries, type ArchiveEntries } from './support/read-archive-entries.js';

const TAR_GZ = new URL('../../../fixtures/upload/veritas2hview_small.tar.gz', import.meta.url);
const ZIP = new URL('../../../fixtures/upload/veritas2hview_small.zip', import.meta.url);
const TRUTH = JSON.parse(readFileSync(new URL('../../../fixtures/upload/veritas2hview_small.truth.json', import.meta.url), 'utf8')) as {
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

function hydrastorJobs(parsed: ParsedExport) {
  return parsed.jobs.filter((job) => resolveStorageUnit(parsed.correlation, job.storageUnit)?.isHydrastor === true);
}

/** Entries without the optional files, keeping whatever folder they sit in. */
function withoutKinds(entries: ArchiveEntries, drop: (kind: string) => boolean): ArchiveEntries {
  return new Map([...entries].filter(([path]) => !drop(basenameOfExportEntry(path) ?? '')));
}

describe('veritas2hview small fixture (tar.gz with a top-level folder, zip without)', () => {
  let tarEntries: ArchiveEntries;
  let zipEntries: ArchiveEntries;
  let parsed: ParsedExport;

  before(async () => {
    tarEntries = await readTarGzEntries(TAR_GZ);
    zipEntries = await readZipEntries(ZIP);
    parsed = await parseExportEntries(tarEntries);
  });

  it('recognises every file and reports no issue', () => {
    assert.deepEqual(parsed.kinds, ['bpdbjobs', 'bpimagelist', 'diskPools', 'diskVolumes', 'hydrastorMap', 'manifest', 'storageServers', 'storageUnits']);
    assert.deepEqual(parsed.ignoredEntries, []);
    assert.deepEqual(parsed.issues, []);
    assert.deepEqual(parsed.correlation.issues, []);
  });

  it('matches every count of the truth file', () => {
    assert.equal(parsed.jobs.length, TRUTH.jobs);
    assert.equal(parsed.jobs.filter((job) => job.state === JOB_STATE.active).length, TRUTH.running);
    assert.equal(parsed.images.length, TRUTH.images);
    const hydrastor = hydrastorJobs(parsed);
    assert.equal(hydrastor.length, TRUTH.hydrastor_jobs);
    const doneKilobytes = hydrastor.filter((job) => job.state === JOB_STATE.done).reduce((sum, job) => sum + (job.kilobytes ?? 0), 0);
    assert.equal(doneKilobytes, TRUTH.kbytes_done_hydrastor);
    assert.equal(parsed.manifest?.masterServer, TRUTH.master);
    assert.ok(parsed.jobs.every((job) => job.masterServer === TRUTH.master));
  });

  it('links the HYDRAstor storage server to the grid through the map file', () => {
    const server = parsed.correlation.storageServers.get(TRUTH.storage_server);
    assert.equal(server?.isHydrastor, true);
    assert.deepEqual(server?.grid, { gridSerial: TRUTH.grid_serial, gridName: 'icecream_machine', method: 'map_file' });
    for (const job of hydrastorJobs(parsed)) {
      assert.equal(resolveStorageUnit(parsed.correlation, job.storageUnit)?.grid?.gridSerial, TRUTH.grid_serial);
    }
    const lsus = parsed.correlation.diskVolumes.filter((volume) => volume.isHydrastor && volume.outcome === 'linked').map((volume) => volume.lsu);
    assert.deepEqual(lsus.sort(), TRUTH.lsus);
  });

  it('joins images to jobs by backup id and fragments to LSUs by disk media id', () => {
    const jobsByBackupId = new Map(parsed.jobs.map((job) => [job.backupId, job]));
    assert.ok(parsed.images.every((image) => jobsByBackupId.get(image.backupId)?.jobId === image.jobId));
    const onHydrastor = parsed.images.filter((image) =>
      image.fragments.some((fragment) => parsed.correlation.diskVolumesByMediaId.get(fragment.mediaId ?? '')?.isHydrastor === true),
    );
    assert.ok(onHydrastor.length > 0);
    assert.ok(onHydrastor.every((image) => resolveStorageUnit(parsed.correlation, jobsByBackupId.get(image.backupId)?.storageUnit ?? null)?.isHydrastor));
  });

  it('gives the same result from the .zip as from the .tar.gz', async () => {
    const fromZip = await parseExportEntries(zipEntries);
    assert.deepEqual(fromZip, parsed);
  });

  it('gives the same result whatever the chunk size of the stream', async () => {
    const tiny = await parseExportEntries(tarEntries, { chunkBytes: 7 });
    assert.deepEqual(tiny, parsed);
  });

  it('has files whose SHA-256 match the manifest, and detects an altered file', () => {
    const manifest = parsed.manifest;
    assert.ok(manifest !== null);
    for (const [path, content] of tarEntries) {
      const actualSha256 = createHash('sha256').update(content).digest('hex');
      assert.equal(checkManifestDigest({ manifest, fileName: path, actualSha256 }), null, path);
    }
    const altered = checkManifestDigest({ manifest, fileName: 'x/bpdbjobs_most_columns.csv', actualSha256: '0'.repeat(64) });
    assert.equal(altered?.code, 'MANIFEST_DIGEST_MISMATCH');
    assert.match(altered?.message ?? '', /bpdbjobs_most_columns\.csv/);
  });

  it('ignores unknown extra files and entries nested too deep', async () => {
    const extra = new Map(tarEntries);
    extra.set('Veritas2Hview_nbumaster01_20230113T030000Z/README.txt', Buffer.from('hello'));
    extra.set('Veritas2Hview_nbumaster01_20230113T030000Z/old/bpdbjobs_most_columns.csv', Buffer.from('garbage\n'));
    extra.set('__MACOSX/Veritas2Hview_nbumaster01_20230113T030000Z/._bpdbjobs_most_columns.csv', Buffer.from('\u0000\u0005'));
    const result = await parseExportEntries(extra);
    assert.equal(result.ignoredEntries.length, 3);
    assert.deepEqual({ ...result, ignoredEntries: [] }, parsed);
  });

  it('parses with only the required file (no manifest, no optional files)', async () => {
    const onlyJobs = withoutKinds(tarEntries, (kind) => kind !== 'bpdbjobs');
    const result = await parseExportEntries(onlyJobs);
    assert.deepEqual(missingRequiredExportFiles(new Set(result.kinds)), []);
    assert.equal(result.manifest, null);
    assert.equal(result.jobs.length, TRUTH.jobs);
    assert.deepEqual(result.jobs, parsed.jobs);
    assert.equal(result.images.length, 0);
    assert.equal(hydrastorJobs(result).length, 0);
    assert.equal(resolveStorageUnit(result.correlation, 'stu_hydra_icecream_machine'), null);
  });

  it('reports a missing bpdbjobs file as missing required file', () => {
    const kinds = new Set([...withoutKinds(tarEntries, (kind) => kind === 'bpdbjobs').keys()].map((path) => basenameOfExportEntry(path)!));
    assert.deepEqual(missingRequiredExportFiles(kinds), ['bpdbjobs']);
  });

  it('falls back to the database mapping, then to the key grid, when the map file is missing', async () => {
    const noMap = withoutKinds(tarEntries, (kind) => kind === 'hydrastorMap');
    const fromDatabase = await parseExportEntries(noMap, {
      storedMappings: [{ storageServer: TRUTH.storage_server.toUpperCase(), gridSerial: TRUTH.grid_serial, gridName: null }],
      s3KeyGrid: 'icecream_machine',
    });
    assert.deepEqual(fromDatabase.correlation.storageServers.get(TRUTH.storage_server)?.grid, {
      gridSerial: TRUTH.grid_serial,
      gridName: null,
      method: 'database',
    });
    const fromKey = await parseExportEntries(noMap, { s3KeyGrid: 'icecream_machine' });
    assert.deepEqual(fromKey.correlation.storageServers.get(TRUTH.storage_server)?.grid, { gridSerial: null, gridName: 'icecream_machine', method: 's3_key' });
    assert.equal(hydrastorJobs(fromKey).length, TRUTH.hydrastor_jobs);
    const unlinked = await parseExportEntries(noMap);
    assert.equal(unlinked.correlation.storageServers.get(TRUTH.storage_server)?.outcome, 'no_grid_link');
    assert.equal(unlinked.correlation.issues.length, 1);
  });

  it('parses CRLF copies of every text file the same way', async () => {
    const crlf = new Map(
      [...tarEntries].map(([path, content]) => [path, path.endsWith('.json') ? content : Buffer.from(content.toString('utf8').replace(/\n/g, '\r\n'))]),
    );
    const result = await parseExportEntries(crlf, { chunkBytes: 1000 });
    assert.deepEqual(result, parsed);
  });
});
