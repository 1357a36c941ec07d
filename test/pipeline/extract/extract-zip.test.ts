import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { extractArchive, readArchiveEntries, type SkippedEntry } from '../../../src/pipeline/extract/extract.js';
import { buildZip, makeSandbox, rejectsWithCode, removeSandboxes, snapshotTree, type ZipEntrySpec } from '../../support/extract-test-archives.js';

after(removeSandboxes);

async function writeArchive(name: string, content: Buffer): Promise<{ root: string; destDir: string; archivePath: string }> {
  const { root, destDir, archiveDir } = await makeSandbox();
  const archivePath = join(archiveDir, name);
  await writeFile(archivePath, content);
  return { root, destDir, archivePath };
}

const neverCalled = async (): Promise<void> => assert.fail('no entry may be delivered');
const GOOD: ZipEntrySpec = { name: 'export/good.csv', body: 'a,b\n1,2\n' };
const S_IFLNK = 0o120000;
const S_IFIFO = 0o010000;
const S_IFCHR = 0o020000;
const S_IFDIR = 0o040000;

/** Catalog 41–42 for zip: every name and type refused and reported. */
const HOSTILE_CORPUS: readonly (ZipEntrySpec & { readonly reason: SkippedEntry['reason'] })[] = [
  { name: '../x', body: 'x', reason: 'parent-traversal' },
  { name: '../../x', body: 'x', reason: 'parent-traversal' },
  { name: '/abs/x', body: 'x', reason: 'absolute-path' },
  { name: '..\\x', body: 'x', reason: 'parent-traversal' },
  { name: 'C:\\x', body: 'x', reason: 'drive-letter' },
  { name: 'C:x', body: 'x', reason: 'drive-letter' },
  { name: '////etc/x', body: 'x', reason: 'absolute-path' },
  { name: 'dir/../../x', body: 'x', reason: 'parent-traversal' },
  { name: '../dest-evil/x', body: 'x', reason: 'parent-traversal' },
  { name: 'passwd', body: '/etc/passwd', unixMode: S_IFLNK | 0o777, reason: 'symlink' },
  { name: 'pipe', unixMode: S_IFIFO | 0o644, reason: 'fifo' },
  { name: 'null', unixMode: S_IFCHR | 0o666, reason: 'device' },
  { name: 'secret.csv', body: 'x', flags: 0x0801, reason: 'encrypted' },
  { name: 'bzip2.csv', body: 'x', method: 12, reason: 'unsupported-compression' },
  { name: `${'deep/'.repeat(40)}x.csv`, body: 'x', reason: 'path-too-deep' },
];

describe('zip: hostile entries', () => {
  it('fails before inflating anything, reporting every refused entry', async () => {
    const { root, destDir, archivePath } = await writeArchive('corpus.zip', buildZip([GOOD, ...HOSTILE_CORPUS]));
    const before = await snapshotTree(root);
    const error = await rejectsWithCode(readArchiveEntries({ archivePath, onEntry: neverCalled }), 'ARCHIVE_UNSAFE_ENTRIES');
    assert.deepEqual(
      error.details?.['skipped'],
      HOSTILE_CORPUS.map((entry) => ({ name: entry.name, reason: entry.reason })),
    );
    await rejectsWithCode(extractArchive({ archivePath, destDir }), 'ARCHIVE_UNSAFE_ENTRIES');
    assert.deepEqual(await snapshotTree(root), before);
  });

  it('under the skip policy extracts only the regular file and never creates a link', async () => {
    const { destDir, archivePath } = await writeArchive('corpus.zip', buildZip([...HOSTILE_CORPUS, GOOD]));
    const result = await extractArchive({ archivePath, destDir, unsafeEntries: 'skip' });
    assert.deepEqual(
      result.files.map((file) => [file.path, file.size]),
      [['export/good.csv', 8]],
    );
    assert.equal(result.skipped.length, HOSTILE_CORPUS.length);
    assert.deepEqual(await readdir(destDir, { recursive: true }), ['export', 'export/good.csv']);
  });

  it('reports duplicate and conflicting paths', async () => {
    const { destDir, archivePath } = await writeArchive(
      'dupes.zip',
      buildZip([
        { name: 'a.csv', body: 'first' },
        { name: 'a.csv', body: 'second' },
        { name: 'b', body: 'file' },
        { name: 'b/c.csv', body: 'under a file' },
      ]),
    );
    const result = await extractArchive({ archivePath, destDir, unsafeEntries: 'skip' });
    assert.deepEqual(result.skipped, [
      { name: 'a.csv', reason: 'duplicate-path' },
      { name: 'b/c.csv', reason: 'path-conflict' },
    ]);
    assert.equal(await readFile(join(destDir, 'a.csv'), 'utf8'), 'first');
  });
});

describe('zip: layout', () => {
  it('skips directory entries, honours stored and deflated data, and maps Windows separators', async () => {
    const { destDir, archivePath } = await writeArchive(
      'layout.zip',
      buildZip([
        { name: 'export/' },
        { name: 'unix-dir', unixMode: S_IFDIR | 0o755 },
        { name: 'export/stored.csv', body: 'stored bytes', method: 0 },
        { name: 'export\\windows.csv', body: 'made on Windows' },
      ]),
    );
    const result = await extractArchive({ archivePath, destDir });
    assert.deepEqual(
      result.files.map((file) => [file.path, file.size]),
      [
        ['export/stored.csv', 12],
        ['export/windows.csv', 15],
      ],
    );
    assert.equal(await readFile(join(destDir, 'export/windows.csv'), 'utf8'), 'made on Windows');
  });

  it('reads an empty zip as no entries', async () => {
    const { archivePath } = await writeArchive('empty.zip', buildZip([]));
    const result = await readArchiveEntries({ archivePath, onEntry: neverCalled });
    assert.deepEqual(result, { type: 'zip', entries: [], skipped: [] });
  });
});

describe('zip: truncated and corrupt', () => {
  const sound = buildZip([GOOD, { name: 'export/more.csv', body: 'm'.repeat(2000) }]);
  const cases: readonly { readonly name: string; readonly content: Buffer; readonly message: RegExp }[] = [
    {
      name: 'no end of central directory',
      content: buildZip([GOOD], { omitEndOfCentralDirectory: true }),
      message: /End of central directory record signature not found/,
    },
    { name: 'a zip cut in half', content: sound.subarray(0, Math.floor(sound.length / 2)), message: /corrupt or truncated/ },
    {
      name: 'a local header naming another file than the central directory',
      content: buildZip([{ ...GOOD, localName: 'export/other.csv' }]),
      message: /local header of "export\/good\.csv" disagrees with the central directory \(file name\)/,
    },
    { name: 'a CRC-32 that does not match the data', content: buildZip([{ ...GOOD, crc32: 0x12345678 }]), message: /CRC-32 mismatch/ },
    {
      name: 'a declared size smaller than the data',
      content: buildZip([{ name: 'lie.csv', body: 'x'.repeat(5000), declaredUncompressedSize: 100 }]),
      message: /too many bytes/,
    },
    {
      name: 'a stored entry whose sizes disagree',
      content: buildZip([{ name: 'lie.csv', body: 'x'.repeat(50), method: 0, declaredUncompressedSize: 10 }]),
      message: /size mismatch for stored file/,
    },
    {
      name: 'overlapping entries (zbsm-style)',
      content: buildZip([GOOD, { name: 'export/again.csv', sameLocalHeaderAs: 0 }]),
      message: /overlap/,
    },
  ];
  for (const { name, content, message } of cases) {
    it(`fails on ${name} with ARCHIVE_CORRUPT and leaves nothing behind`, async () => {
      const { destDir, archivePath } = await writeArchive('broken.zip', content);
      const error = await rejectsWithCode(extractArchive({ archivePath, destDir }), 'ARCHIVE_CORRUPT');
      assert.match(error.message, message);
      assert.deepEqual(await readdir(destDir), []);
    });
  }
});

describe('zip: budgets', () => {
  it('refuses more entries than the budget from the end record, before reading them', async () => {
    const entries = Array.from({ length: 30 }, (_, index) => ({ name: `e/${index}.csv`, body: '' }));
    const { archivePath } = await writeArchive('many.zip', buildZip(entries));
    const error = await rejectsWithCode(readArchiveEntries({ archivePath, budgets: { maxEntries: 20 }, onEntry: neverCalled }), 'ARCHIVE_LIMIT_EXCEEDED');
    assert.deepEqual(error.details, { budget: 'maxEntries', limit: 20, observed: 30 });
  });

  it('refuses an entry whose declared size is over the per-entry budget', async () => {
    const { archivePath } = await writeArchive('big.zip', buildZip([{ name: 'big.csv', body: Buffer.alloc(64 * 1024) }]));
    const error = await rejectsWithCode(readArchiveEntries({ archivePath, budgets: { maxEntryBytes: 1024 }, onEntry: neverCalled }), 'ARCHIVE_LIMIT_EXCEEDED');
    assert.deepEqual(error.details, { budget: 'maxEntryBytes', limit: 1024, observed: 64 * 1024, entry: 'big.csv' });
  });

  it('refuses a declared total over the budget before inflating', async () => {
    const entries = Array.from({ length: 4 }, (_, index) => ({ name: `part${index}.csv`, body: Buffer.alloc(1000) }));
    const { archivePath } = await writeArchive('total.zip', buildZip(entries));
    const error = await rejectsWithCode(readArchiveEntries({ archivePath, budgets: { maxTotalBytes: 3500 }, onEntry: neverCalled }), 'ARCHIVE_LIMIT_EXCEEDED');
    assert.deepEqual(error.details, { budget: 'maxTotalBytes', limit: 3500, observed: 4000 });
  });
});
