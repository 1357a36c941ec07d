import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadExportPlan, type ExportPlan } from '../../../../src/modules/hydrastor/veritas2hview/load-plan.js';
import type { ModuleContext } from '../../../../src/modules/types.js';
import { IngestError } from '../../../../src/core/ingest-error.js';
import { testModuleContext } from '../../../support/module-context.js';
import { buildExportArchive } from './support/build-export-archive.js';
import { readTarGzEntries } from './support/read-archive-entries.js';

const SMALL_TAR_GZ = fileURLToPath(new URL('../../../fixtures/upload/veritas2hview_small.tar.gz', import.meta.url));

function contextFor(archivePath: string, signal = new AbortController().signal): ModuleContext {
  return testModuleContext({
    workDir: path.dirname(archivePath),
    files: [{ name: path.basename(archivePath), size: 0, sha256: '', role: 'object' }],
    signal,
  });
}

/** The plan alone: these tests look at what the first pass read. */
async function planOf(context: ModuleContext): Promise<ExportPlan> {
  return (await loadExportPlan(context)).records;
}

function rejectsWith(code: string, message?: RegExp): (error: unknown) => boolean {
  return (error) => {
    assert.ok(error instanceof IngestError, String(error));
    assert.equal(error.code, code, error.message);
    if (message !== undefined) assert.match(error.message, message);
    return true;
  };
}

describe('loadExportPlan (first pass over the archive)', () => {
  let scratch: string;
  let files: Map<string, Buffer>;
  before(async () => {
    scratch = await mkdtemp(path.join(tmpdir(), 'dp-test-plan-'));
    const entries = await readTarGzEntries(SMALL_TAR_GZ);
    files = new Map([...entries].map(([entryPath, content]) => [path.basename(entryPath), content]));
  });
  after(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  const without = (...names: string[]): Array<[string, Buffer]> => [...files].filter(([name]) => !names.includes(name));

  it('keeps the small files parsed, hashes the large ones and streams them on demand', async () => {
    const plan = await planOf(contextFor(SMALL_TAR_GZ));
    assert.equal(plan.masterServer, 'nbumaster01.acme.local');
    assert.equal(plan.storageUnits.length, 2);
    assert.equal(plan.mapEntries.length, 1);
    assert.deepEqual(plan.issues, []);
    assert.equal(plan.files.length, 8);
    assert.match(plan.contentSha256, /^[0-9a-f]{64}$/);
    const streamed: string[] = [];
    await plan.streamLargeFiles({
      signal: new AbortController().signal,
      bpdbjobs: async (source) => {
        for await (const chunk of source) streamed.push(`bpdbjobs:${(chunk as Buffer).length}`);
      },
      bpimagelist: async () => {
        streamed.push('bpimagelist');
      },
    });
    assert.ok(streamed.some((item) => item.startsWith('bpdbjobs:')));
    assert.ok(streamed.includes('bpimagelist'));
  });

  it('reads the master server from the first job when there is no manifest, and lists unknown files as ignored', async () => {
    const archivePath = await buildExportArchive({ dir: scratch, archiveName: 'plain.tar.gz', files: [...without('manifest.json'), ['README.txt', 'hello']] });
    const plan = await planOf(contextFor(archivePath));
    assert.equal(plan.masterServer, 'nbumaster01.acme.local');
    assert.equal(plan.manifest, null);
    assert.deepEqual(
      plan.issues.map((issue) => issue.file),
      ['README.txt'],
    );
  });

  it('gives the same content digest for the same files in another archive', async () => {
    const fromFixture = await planOf(contextFor(SMALL_TAR_GZ));
    const archivePath = await buildExportArchive({ dir: scratch, archiveName: 'same.tar.gz', files: [...files], folder: 'another_folder' });
    assert.equal((await planOf(contextFor(archivePath))).contentSha256, fromFixture.contentSha256);
  });

  it('fails when an export file appears twice', async () => {
    const bpdbjobs = files.get('bpdbjobs_most_columns.csv') as Buffer;
    const archivePath = await buildExportArchive({
      dir: scratch,
      archiveName: 'twice.tar.gz',
      files: [...without('manifest.json'), ['copy/bpdbjobs_most_columns.csv', bpdbjobs]],
    });
    await assert.rejects(loadExportPlan(contextFor(archivePath)), rejectsWith('EXPORT_FILE_TWICE', /bpdbjobs_most_columns\.csv twice/));
  });

  it('fails when the manifest vouches for a file the archive lacks', async () => {
    const lacking = await buildExportArchive({ dir: scratch, archiveName: 'lacking.tar.gz', files: without('bpimagelist_l.txt') });
    await assert.rejects(loadExportPlan(contextFor(lacking)), rejectsWith('EXPORT_FILE_MISSING', /lists bpimagelist_l\.txt with a SHA-256/));
  });

  it('fails on an invalid manifest before anything else', async () => {
    const archivePath = await buildExportArchive({
      dir: scratch,
      archiveName: 'bad-manifest.tar.gz',
      files: [...without('manifest.json'), ['manifest.json', '{"format":"other"}']],
    });
    await assert.rejects(loadExportPlan(contextFor(archivePath)), rejectsWith('MANIFEST_INVALID'));
  });

  it('rethrows the stop reason when the job is stopped, not ARCHIVE_ABORTED', async () => {
    const controller = new AbortController();
    const reason = new Error('job stopped: cancelled');
    controller.abort(reason);
    await assert.rejects(loadExportPlan(contextFor(SMALL_TAR_GZ, controller.signal)), (error) => error === reason);
  });
});
