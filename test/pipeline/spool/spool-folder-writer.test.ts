import assert from 'node:assert/strict';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import winston from 'winston';
import type { FolderOutcome } from '../../../src/pipeline/spool/write-folder-batch.js';
import { SpoolFolderWriter } from '../../../src/pipeline/spool/spool-folder-writer.js';
import { encodeSpoolRecord, type SpoolRecord } from '../../../src/pipeline/spool/spool-record.js';
import { writeSpooledFolder } from '../../../src/pipeline/spool/write-spooled-folder.js';
import type { StagedManifest } from '../../../src/pipeline/staging/staged-manifest.js';

function recordOf(tag: string): SpoolRecord {
  const files = [
    { name: 'message.eml', bytes: randomBytes(5 * 1024) },
    { name: 'body.txt', bytes: Buffer.from(`body of ${tag}\n`) },
    { name: 'empty.bin', bytes: Buffer.alloc(0) },
  ];
  const manifest: StagedManifest = {
    manifestVersion: 1,
    stagingId: randomUUID(),
    idempotencyKey: `test:folder-writer:${tag}`,
    source: 'smtp',
    sourceRef: { messageId: `<${tag}@example>` },
    hints: { subject: `folder writer ${tag}` },
    customer: 'bobs_burgers',
    category: 'unclassified',
    type: 'smtp',
    group: 'none',
    classified: false,
    receivedAt: '2024-02-29T23:59:59.000Z',
    node: 'node-a',
    files: files.map(({ name, bytes }) => ({ name, size: bytes.byteLength, sha256: createHash('sha256').update(bytes).digest('hex') })),
  };
  return { manifest, contents: files.map((file) => file.bytes) };
}

/** Every entry under `root` (relative path → mode and bytes), directories included. */
async function tree(root: string): Promise<Map<string, { mode: number; bytes?: Buffer }>> {
  const entries = new Map<string, { mode: number; bytes?: Buffer }>();
  for (const name of await readdir(root, { recursive: true })) {
    const full = path.join(root, name);
    const info = await stat(full);
    entries.set(name, { mode: info.mode & 0o777, ...(info.isFile() ? { bytes: await readFile(full) } : {}) });
  }
  return entries;
}

describe('spool folder writer (a worker thread with blocking fs calls)', function () {
  this.timeout(30_000);
  let dir: string;
  let writer: SpoolFolderWriter;
  const records = [recordOf('one'), recordOf('two')];
  const relativePaths = ['bobs_burgers/unclassified/smtp/none/20240229-235959', 'bobs_burgers/unclassified/smtp/none/20240229-235959-2'];
  let segmentFile: string;
  let offsets: number[];

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'dp-folder-writer-'));
    writer = new SpoolFolderWriter(winston.createLogger({ silent: true }));
    const encoded = records.map((record) => encodeSpoolRecord(record));
    offsets = encoded.map((_bytes, index) => encoded.slice(0, index).reduce((sum, bytes) => sum + bytes.byteLength, 0));
    segmentFile = path.join(dir, 'segment.spool');
    await writeFile(segmentFile, Buffer.concat(encoded));
  });
  after(async () => {
    await writer.close();
    await rm(dir, { recursive: true, force: true });
  });

  const tasksFor = (indexes: readonly number[]) =>
    indexes.map((index) => ({
      file: segmentFile,
      offset: offsets[index] as number,
      length: encodeSpoolRecord(records[index] as SpoolRecord).byteLength,
      relativePath: relativePaths[index] as string,
    }));

  it('writes byte-identical folders to the asynchronous path: same files, modes and manifest, same paths reported', async () => {
    const viaWorker = path.join(dir, 'worker');
    const viaAsync = path.join(dir, 'async');
    const outcomes = await writer.write(viaWorker, tasksFor([0, 1]));
    assert.ok(outcomes !== undefined, 'the worker wrote the batch');
    for (const [index, record] of records.entries()) {
      const expected = await writeSpooledFolder({ dataRoot: viaAsync, relativePath: relativePaths[index] as string, record });
      const outcome: FolderOutcome | undefined = outcomes[index];
      assert.ok(outcome !== undefined && 'paths' in outcome);
      assert.deepEqual(
        outcome.paths.map((written: string) => path.relative(viaWorker, written)),
        expected.map((written) => path.relative(viaAsync, written)),
      );
      assert.deepEqual(outcome.manifest, record.manifest);
    }
    const [workerTree, asyncTree] = [await tree(path.join(viaWorker, 'inbox')), await tree(path.join(viaAsync, 'inbox'))];
    assert.deepEqual(workerTree, asyncTree);
    const folder = workerTree.get(relativePaths[0] as string);
    assert.equal(folder?.mode, 0o700);
    assert.equal(workerTree.get(path.join(relativePaths[0] as string, 'message.eml'))?.mode, 0o600);
    assert.deepEqual(workerTree.get(path.join(relativePaths[0] as string, 'message.eml'))?.bytes, records[0]?.contents[0]);
    assert.deepEqual(JSON.parse((workerTree.get(path.join(relativePaths[1] as string, 'manifest.json'))?.bytes ?? '').toString()), records[1]?.manifest);
    assert.deepEqual([...(await readdir(path.join(viaWorker, 'inbox', '.incoming')))], [], 'nothing left in .incoming');
  });

  it("replaces a crash's leftovers: a half-written .incoming/<stagingId> and a folder already in place", async () => {
    const dataRoot = path.join(dir, 'leftovers');
    const record = records[0] as SpoolRecord;
    const incoming = path.join(dataRoot, 'inbox', '.incoming', record.manifest.stagingId);
    await mkdir(incoming, { recursive: true });
    await writeFile(path.join(incoming, 'message.eml'), 'torn');
    const target = path.join(dataRoot, 'inbox', relativePaths[1] as string);
    await mkdir(target, { recursive: true });
    await writeFile(path.join(target, 'stale.txt'), 'from an earlier attempt');
    const outcomes = await writer.write(dataRoot, tasksFor([0, 1]));
    assert.ok(outcomes !== undefined && outcomes.every((outcome) => 'paths' in outcome));
    assert.deepEqual(await readFile(path.join(dataRoot, 'inbox', relativePaths[0] as string, 'message.eml')), record.contents[0]);
    assert.deepEqual((await readdir(target)).sort(), ['body.txt', 'empty.bin', 'manifest.json', 'message.eml']);
    assert.equal(existsSync(incoming), false);
  });

  it('reports a record that no longer reads back as damaged and a folder that cannot be written as an error', async () => {
    const dataRoot = path.join(dir, 'faults');
    const [good] = tasksFor([0]);
    assert.ok(good !== undefined);
    const outcomes = await writer.write(dataRoot, [{ ...good, offset: good.offset + 1, relativePath: 'bobs_burgers/x/y/z/torn' }]);
    assert.deepEqual(outcomes, [{ damaged: true }]);
    // A plain file where the folder's parent must go.
    await mkdir(path.join(dataRoot, 'inbox', 'bobs_burgers'), { recursive: true });
    await writeFile(path.join(dataRoot, 'inbox', 'bobs_burgers', 'blocked'), 'in the way');
    await assert.rejects(writer.write(dataRoot, [{ ...good, relativePath: 'bobs_burgers/blocked/smtp/none/20240229-235959' }]), { code: 'ENOTDIR' });
  });

  it('says so (undefined) once closed, so the drain takes the asynchronous path', async () => {
    const closed = new SpoolFolderWriter(winston.createLogger({ silent: true }));
    assert.ok((await closed.write(path.join(dir, 'closed'), tasksFor([0]))) !== undefined);
    await closed.close();
    assert.equal(await closed.write(path.join(dir, 'closed-again'), tasksFor([1])), undefined);
  });
});
