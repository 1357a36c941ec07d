import assert from 'node:assert/strict';
import { lstat, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { extractArchive, readArchiveEntries, type SkippedEntry } from '../../../src/pipeline/extract/extract.js';
import {
  buildTar,
  buildTarGz,
  makeSandbox,
  peakRssGrowth,
  rejectsWithCode,
  removeSandboxes,
  snapshotTree,
  writeZeroFilledTarGz,
  type TarEntrySpec,
} from '../../support/extract-test-archives.js';

const MIB = 1024 * 1024;

after(removeSandboxes);

async function writeArchive(name: string, content: Buffer): Promise<{ root: string; destDir: string; archivePath: string }> {
  const { root, destDir, archiveDir } = await makeSandbox();
  const archivePath = join(archiveDir, name);
  await writeFile(archivePath, content);
  return { root, destDir, archivePath };
}

const GOOD: TarEntrySpec = { path: 'export/good.csv', body: 'a,b\n1,2\n' };

/** Catalog 41–43: each name or type must be refused and reported, none silently dropped. */
const HOSTILE_CORPUS: readonly (TarEntrySpec & { readonly reason: SkippedEntry['reason'] })[] = [
  { path: '../x', body: 'x', reason: 'parent-traversal' },
  { path: '../../x', body: 'x', reason: 'parent-traversal' },
  { path: '/abs/x', body: 'x', reason: 'absolute-path' },
  { path: '..\\x', body: 'x', reason: 'parent-traversal' },
  { path: 'C:\\x', body: 'x', reason: 'drive-letter' },
  { path: 'C:x', body: 'x', reason: 'drive-letter' },
  { path: '////etc/x', body: 'x', reason: 'absolute-path' },
  { path: 'dir/../../x', body: 'x', reason: 'parent-traversal' },
  { path: '../dest-evil/x', body: 'x', reason: 'parent-traversal' },
  { path: 'passwd', type: 'SymbolicLink', linkpath: '/etc/passwd', reason: 'symlink' },
  { path: 'relative', type: 'SymbolicLink', linkpath: '../../../../etc/passwd', reason: 'symlink' },
  { path: 'hostname', type: 'Link', linkpath: '/etc/hostname', reason: 'hardlink' },
  { path: 'early-link', type: 'Link', linkpath: 'export/good.csv', reason: 'hardlink' },
  { path: 'null', type: 'CharacterDevice', reason: 'device' },
  { path: 'disk', type: 'BlockDevice', reason: 'device' },
  { path: 'pipe', type: 'FIFO', reason: 'fifo' },
  { path: `${'deep/'.repeat(40)}x.csv`, body: 'x', reason: 'path-too-deep' },
  { path: `export/${'n'.repeat(300)}.csv`, body: 'x', reason: 'name-too-long' },
];

describe('tar.gz: hostile entries', () => {
  it('fails with every refused entry reported and writes nothing anywhere', async () => {
    const { root, destDir, archivePath } = await writeArchive('corpus.tar.gz', buildTarGz([...HOSTILE_CORPUS, GOOD]));
    const before = await snapshotTree(root);
    const error = await rejectsWithCode(extractArchive({ archivePath, destDir }), 'ARCHIVE_UNSAFE_ENTRIES');
    assert.deepEqual(
      error.details?.['skipped'],
      HOSTILE_CORPUS.map((entry) => ({ name: entry.path, reason: entry.reason })),
    );
    assert.match(error.message, /18 unsafe or unsupported entries: .* and 15 more$/);
    assert.deepEqual(await snapshotTree(root), before);
  });

  it('under the skip policy extracts only the regular file and never creates a link or device', async () => {
    const { destDir, archivePath } = await writeArchive('corpus.tar.gz', buildTarGz([GOOD, ...HOSTILE_CORPUS]));
    const result = await extractArchive({ archivePath, destDir, unsafeEntries: 'skip' });
    assert.deepEqual(
      result.files.map((file) => file.path),
      ['export/good.csv'],
    );
    assert.equal(result.skipped.length, HOSTILE_CORPUS.length);
    assert.deepEqual(await readdir(destDir, { recursive: true }), ['export', 'export/good.csv']);
  });

  it('a hardlink then a regular file at the same path yields the regular file (CVE-2018-20834)', async () => {
    const { destDir, archivePath } = await writeArchive(
      'link-then-file.tar.gz',
      buildTarGz([
        { path: 'data.csv', type: 'Link', linkpath: '/etc/hostname' },
        { path: 'data.csv', body: 'real' },
      ]),
    );
    const result = await extractArchive({ archivePath, destDir, unsafeEntries: 'skip' });
    assert.deepEqual(result.skipped, [{ name: 'data.csv', reason: 'hardlink' }]);
    assert.equal(await readFile(join(destDir, 'data.csv'), 'utf8'), 'real');
  });

  it('a symlinked directory followed by link/file becomes a real directory (CVE-2021-32803)', async () => {
    const { destDir, archivePath } = await writeArchive(
      'dir-link.tar.gz',
      buildTarGz([
        { path: 'out', type: 'SymbolicLink', linkpath: '/tmp' },
        { path: 'out/file.csv', body: 'inside' },
      ]),
    );
    const result = await extractArchive({ archivePath, destDir, unsafeEntries: 'skip' });
    assert.deepEqual(result.skipped, [{ name: 'out', reason: 'symlink' }]);
    assert.ok((await lstat(join(destDir, 'out'))).isDirectory());
    assert.equal(await readFile(join(destDir, 'out/file.csv'), 'utf8'), 'inside');
  });

  it('reports a 5,000-level PAX path as too deep, quickly (CVE-2024-28863)', async () => {
    const { destDir, archivePath } = await writeArchive('depth.tar.gz', buildTarGz([{ path: `${'a/'.repeat(5000)}f`, body: 'x' }]));
    const error = await rejectsWithCode(extractArchive({ archivePath, destDir }), 'ARCHIVE_UNSAFE_ENTRIES');
    assert.deepEqual(
      (error.details?.['skipped'] as SkippedEntry[]).map((entry) => entry.reason),
      ['path-too-deep'],
    );
  });

  it('reports a second entry with the same path, also when Unicode spells it differently', async () => {
    const { destDir, archivePath } = await writeArchive(
      'dupes.tar.gz',
      buildTarGz([
        { path: 'caf\u00e9.csv', body: 'nfc' },
        { path: 'cafe\u0301.csv', body: 'nfd' },
        { path: 'a', body: 'file' },
        { path: 'a/b', body: 'under a file' },
        { path: 'Case.csv', body: 'upper' },
        { path: 'case.csv', body: 'lower' },
      ]),
    );
    const result = await extractArchive({ archivePath, destDir, unsafeEntries: 'skip' });
    assert.deepEqual(result.skipped, [
      { name: 'cafe\u0301.csv', reason: 'duplicate-path' },
      { name: 'a/b', reason: 'path-conflict' },
    ]);
    assert.equal(await readFile(join(destDir, 'caf\u00e9.csv'), 'utf8'), 'nfc');
    assert.deepEqual(
      result.files.map((file) => file.path),
      ['caf\u00e9.csv', 'a', 'Case.csv', 'case.csv'],
    );
  });
});

describe('tar.gz: names and layout', () => {
  it('extracts a PAX long name (> 100 characters) correctly', async () => {
    const longPath = `export/${'d'.repeat(120)}/${'f'.repeat(110)}.csv`;
    const { destDir, archivePath } = await writeArchive('long.tar.gz', buildTarGz([{ path: longPath, body: 'long name content' }]));
    const result = await extractArchive({ archivePath, destDir });
    assert.deepEqual(
      result.files.map((file) => file.path),
      [longPath],
    );
    assert.equal(await readFile(join(destDir, longPath), 'utf8'), 'long name content');
  });

  it('accepts ./ prefixes and directory entries, as `tar -C dir .` writes them', async () => {
    const { destDir, archivePath } = await writeArchive(
      'dot.tar.gz',
      buildTarGz([
        { path: './', type: 'Directory' },
        { path: './sub/', type: 'Directory' },
        { path: './sub/x.csv', body: 'x' },
      ]),
    );
    const result = await extractArchive({ archivePath, destDir });
    assert.deepEqual(
      result.files.map((file) => [file.path, file.size]),
      [['sub/x.csv', 1]],
    );
  });

  it('reads every member of a multi-member gzip (cat a.gz b.gz)', async () => {
    const tar = buildTar([GOOD, { path: 'export/second.csv', body: 'second'.repeat(500) }, { path: 'export/third.csv', body: '3' }]);
    const members = [tar.subarray(0, 700), tar.subarray(700, 2000), tar.subarray(2000)].map((part) => gzipSync(part));
    const { destDir, archivePath } = await writeArchive('multi.tar.gz', Buffer.concat(members));
    const result = await extractArchive({ archivePath, destDir });
    assert.deepEqual(
      result.files.map((file) => [file.path, file.size]),
      [
        ['export/good.csv', 8],
        ['export/second.csv', 3000],
        ['export/third.csv', 1],
      ],
    );
  });

  it('accepts zero padding after the gzip member (tape blocking)', async () => {
    const { destDir, archivePath } = await writeArchive('padded.tar.gz', Buffer.concat([buildTarGz([GOOD]), Buffer.alloc(10240)]));
    assert.equal((await extractArchive({ archivePath, destDir })).files.length, 1);
  });
});

describe('tar.gz: truncated and corrupt', () => {
  const tar = buildTar([GOOD, { path: 'export/more.csv', body: 'm'.repeat(2000) }]);
  const cases: readonly { readonly name: string; readonly content: Buffer; readonly message: RegExp }[] = [
    { name: 'trailing garbage after the gzip member', content: Buffer.concat([gzipSync(tar), Buffer.from('garbage!')]), message: /incorrect header check/ },
    { name: 'a gzip cut mid-stream', content: gzipSync(tar).subarray(0, 60), message: /unexpected end of file/ },
    { name: 'a tar cut at a 512-byte boundary', content: gzipSync(tar.subarray(0, 1024)), message: /end-of-archive marker/ },
    { name: 'a tar cut inside an entry', content: gzipSync(tar.subarray(0, 1536)), message: /Truncated input/ },
    { name: 'a gzip that holds no tar', content: gzipSync(Buffer.from('just text\n'.repeat(100))), message: /corrupt or truncated/ },
    {
      name: 'a header with a bad checksum',
      content: gzipSync(Buffer.concat([Buffer.from(tar.subarray(0, 512)).fill(0x41, 0, 4), tar.subarray(512)])),
      message: /checksum/,
    },
  ];
  for (const { name, content, message } of cases) {
    it(`fails on ${name} with ARCHIVE_CORRUPT and leaves nothing behind`, async () => {
      const { destDir, archivePath } = await writeArchive('broken.tar.gz', content);
      const error = await rejectsWithCode(extractArchive({ archivePath, destDir }), 'ARCHIVE_CORRUPT');
      assert.match(error.message, message);
      assert.deepEqual(await readdir(destDir), []);
    });
  }
});

describe('tar.gz: budgets', () => {
  let bombPath = '';
  before(async () => {
    const { archiveDir } = await makeSandbox();
    bombPath = join(archiveDir, 'bomb.tar.gz');
    // 256 MiB of zeros in about 1 MiB: a ratio near 230:1.
    await writeZeroFilledTarGz({ file: bombPath, entries: [{ path: 'zeros.csv', size: 256 * MIB }] });
  });

  it('stops a gzip bomb at the ratio budget while inflating, with bounded memory and nothing left on disk', async () => {
    const { destDir } = await makeSandbox();
    const started = performance.now();
    let error: unknown;
    const growth = await peakRssGrowth(async () => {
      error = await extractArchive({ archivePath: bombPath, destDir }).catch((caught: unknown) => caught);
    });
    assert.ok(performance.now() - started < 5000, 'stopped within 5 s');
    assert.ok(growth < 100 * MIB, `RSS grew by ${Math.round(growth / MIB)} MiB`);
    await rejectsWithCode(Promise.reject(error), 'ARCHIVE_LIMIT_EXCEEDED');
    const details = (error as { details: Record<string, unknown> }).details;
    assert.equal(details['budget'], 'maxCompressionRatio');
    assert.deepEqual(await readdir(destDir), []);
  });

  it('never hands the consumer more than the total budget', async () => {
    let received = 0;
    const error = await rejectsWithCode(
      readArchiveEntries({
        archivePath: bombPath,
        budgets: { maxTotalBytes: 16 * MIB },
        onEntry: async (entry) => {
          for await (const chunk of entry.stream) received += (chunk as Buffer).length;
        },
      }),
      'ARCHIVE_LIMIT_EXCEEDED',
    );
    assert.equal(error.details?.['budget'], 'maxTotalBytes');
    assert.ok((error.details?.['observed'] as number) > 16 * MIB);
    assert.ok(received > 0 && received <= 16 * MIB, `consumer received ${received} bytes`);
  });

  it('refuses an entry whose declared size is over the per-entry budget before streaming it', async () => {
    const error = await rejectsWithCode(
      readArchiveEntries({
        archivePath: bombPath,
        budgets: { maxEntryBytes: 8 * MIB },
        onEntry: () => assert.fail('the entry must not be delivered'),
      }),
      'ARCHIVE_LIMIT_EXCEEDED',
    );
    assert.deepEqual(error.details, { budget: 'maxEntryBytes', limit: 8 * MIB, observed: 256 * MIB, entry: 'zeros.csv' });
  });

  it('stops an entry-count bomb at the default limit within seconds', async () => {
    const entries = Array.from({ length: 30_000 }, (_, index) => ({ path: `e/${index}` }));
    const { destDir, archivePath } = await writeArchive('many.tar.gz', buildTarGz(entries));
    const started = performance.now();
    let delivered = 0;
    const error = await rejectsWithCode(readArchiveEntries({ archivePath, onEntry: async () => void (delivered += 1) }), 'ARCHIVE_LIMIT_EXCEEDED');
    assert.ok(performance.now() - started < 5000, 'stopped within 5 s');
    assert.deepEqual(error.details, { budget: 'maxEntries', limit: 10_000, observed: 10_001 });
    assert.equal(delivered, 10_000);
    const extracted = await rejectsWithCode(extractArchive({ archivePath, destDir, budgets: { maxEntries: 100 } }), 'ARCHIVE_LIMIT_EXCEEDED');
    assert.equal(extracted.details?.['observed'], 101);
    assert.deepEqual(await readdir(destDir), [], 'the 100 files written before the limit are removed');
  });

  it('counts directories and skipped entries toward the entry limit', async () => {
    const { archivePath } = await writeArchive(
      'count.tar.gz',
      buildTarGz([{ path: 'd/', type: 'Directory' }, { path: 'l', type: 'SymbolicLink', linkpath: 'x' }, GOOD]),
    );
    const error = await rejectsWithCode(
      readArchiveEntries({ archivePath, budgets: { maxEntries: 2 }, unsafeEntries: 'skip', onEntry: async () => undefined }),
      'ARCHIVE_LIMIT_EXCEEDED',
    );
    assert.equal(error.details?.['observed'], 3);
  });
});
