import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, readdir, readFile, rm, stat, symlink, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { detectArchiveType, extractArchive, readArchiveEntries, stripCommonTopLevelFolder, type ArchiveEntry } from '../../../src/pipeline/extract/extract.js';
import { IngestError } from '../../../src/core/ingest-error.js';
import {
  buildTarGz,
  buildZip,
  makeSandbox,
  peakRssGrowth,
  removeSandboxes,
  rejectsWithCode,
  snapshotTree,
  writeZeroFilledTarGz,
} from '../../support/extract-test-archives.js';

const MIB = 1024 * 1024;
const fixture = (name: string): string => fileURLToPath(new URL(`../../fixtures/${name}`, import.meta.url));
const smallTarGz = fixture('upload/veritas2hview_small.tar.gz');
const smallZip = fixture('upload/veritas2hview_small.zip');

async function drain(entry: ArchiveEntry): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of entry.stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

after(removeSandboxes);

describe('detectArchiveType', () => {
  it('recognizes gzip and zip by their first bytes, whatever the name says', async () => {
    const { archiveDir } = await makeSandbox();
    const gzipNamedZip = join(archiveDir, 'export.zip');
    await copyFile(smallTarGz, gzipNamedZip);
    const emptyZip = join(archiveDir, 'empty.tgz');
    await writeFile(emptyZip, buildZip([]));
    assert.equal(await detectArchiveType(smallTarGz), 'tar.gz');
    assert.equal(await detectArchiveType(smallZip), 'zip');
    assert.equal(await detectArchiveType(gzipNamedZip), 'tar.gz');
    assert.equal(await detectArchiveType(emptyZip), 'zip');
  });

  it('refuses plain text and empty files with ARCHIVE_UNSUPPORTED', async () => {
    const error = await rejectsWithCode(detectArchiveType(fixture('hostile/not_an_archive.tar.gz')), 'ARCHIVE_UNSUPPORTED');
    assert.match(error.message, /not a \.tar\.gz\/\.tgz or \.zip archive/);
    assert.equal(error.details?.['firstBytes'], '74 68 69 73');
    const { archiveDir } = await makeSandbox();
    await writeFile(join(archiveDir, 'empty.tar.gz'), '');
    await rejectsWithCode(detectArchiveType(join(archiveDir, 'empty.tar.gz')), 'ARCHIVE_UNSUPPORTED');
  });
});

describe('extractArchive with the sample uploads', () => {
  it('extracts the same files, sizes and SHA-256s from the .tar.gz and the .zip', async () => {
    const fromTar = await makeSandbox();
    const fromZip = await makeSandbox();
    const tar = await extractArchive({ archivePath: smallTarGz, destDir: fromTar.destDir });
    const zip = await extractArchive({ archivePath: smallZip, destDir: fromZip.destDir });
    assert.equal(tar.type, 'tar.gz');
    assert.equal(zip.type, 'zip');
    assert.deepEqual([tar.skipped, zip.skipped], [[], []]);

    const strippedTar = stripCommonTopLevelFolder(tar.files.map((file) => file.path));
    assert.equal(strippedTar.folder, 'Veritas2Hview_nbumaster01_20230113T030000Z');
    assert.equal(stripCommonTopLevelFolder(zip.files.map((file) => file.path)).folder, undefined);
    const describeFiles = (files: typeof tar.files, paths: readonly string[]): string[] =>
      files.map((file, index) => `${paths[index]} ${file.size} ${file.sha256}`).sort();
    const tarSet = describeFiles(tar.files, strippedTar.paths);
    assert.deepEqual(
      tarSet,
      describeFiles(
        zip.files,
        zip.files.map((file) => file.path),
      ),
    );
    assert.equal(tarSet.length, 8);

    const manifest = JSON.parse(await readFile(join(fromZip.destDir, 'manifest.json'), 'utf8')) as {
      files: { name: string; sha256: string }[];
    };
    for (const listed of manifest.files) {
      const extracted = zip.files.find((file) => file.path === listed.name);
      assert.equal(extracted?.sha256, listed.sha256, listed.name);
    }
    const onDisk = await readFile(join(fromTar.destDir, tar.files[1]?.path ?? ''));
    assert.equal(createHash('sha256').update(onDisk).digest('hex'), tar.files[1]?.sha256);
  });

  it('creates files 0600 and directories 0700, new, inside the destination only', async () => {
    const { root, destDir } = await makeSandbox();
    const result = await extractArchive({ archivePath: smallTarGz, destDir });
    const folder = join(destDir, 'Veritas2Hview_nbumaster01_20230113T030000Z');
    assert.equal((await stat(folder)).mode & 0o777, 0o700);
    assert.equal((await stat(join(folder, 'manifest.json'))).mode & 0o777, 0o600);
    const filesUnderRoot = (await snapshotTree(root)).filter((line) => line.includes(' file '));
    assert.equal(filesUnderRoot.length, result.files.length);
    assert.ok(filesUnderRoot.every((line) => line.startsWith('tmp/job/dest/')));
  });
});

describe('extractArchive with the hostile fixtures', () => {
  const cases = [
    { name: 'traversal.tar.gz', code: 'ARCHIVE_UNSAFE_ENTRIES' },
    { name: 'zipslip.zip', code: 'ARCHIVE_UNSAFE_ENTRIES' },
    { name: 'bomb_512MiB.zip', code: 'ARCHIVE_LIMIT_EXCEEDED' },
    { name: 'truncated.tar.gz', code: 'ARCHIVE_CORRUPT' },
    { name: 'not_an_archive.tar.gz', code: 'ARCHIVE_UNSUPPORTED' },
  ] as const;
  for (const { name, code } of cases) {
    it(`${name} fails with ${code}, leaves the destination empty and writes nothing elsewhere`, async () => {
      const { root, destDir } = await makeSandbox();
      const before = await snapshotTree(root);
      await rejectsWithCode(extractArchive({ archivePath: fixture(`hostile/${name}`), destDir }), code);
      assert.deepEqual(await readdir(destDir), []);
      assert.deepEqual(await snapshotTree(root), before);
    });
  }

  it('traversal.tar.gz reports every bad entry and creates nothing at the absolute path', async () => {
    const { destDir } = await makeSandbox();
    const error = await rejectsWithCode(extractArchive({ archivePath: fixture('hostile/traversal.tar.gz'), destDir }), 'ARCHIVE_UNSAFE_ENTRIES');
    assert.deepEqual(error.details?.['skipped'], [
      { name: '../../escape.txt', reason: 'parent-traversal' },
      { name: '/etc/absolute.txt', reason: 'absolute-path' },
      { name: 'link', reason: 'symlink' },
    ]);
    assert.match(error.message, /3 unsafe or unsupported entries: "\.\.\/\.\.\/escape\.txt" \(parent-traversal\)/);
    assert.equal(existsSync('/etc/absolute.txt'), false);
  });

  it('zipslip.zip reports its entry', async () => {
    const { destDir } = await makeSandbox();
    const error = await rejectsWithCode(extractArchive({ archivePath: fixture('hostile/zipslip.zip'), destDir }), 'ARCHIVE_UNSAFE_ENTRIES');
    assert.deepEqual(error.details?.['skipped'], [{ name: '../../escape.txt', reason: 'parent-traversal' }]);
  });

  it('bomb_512MiB.zip is stopped before inflating: fast, with bounded memory', async () => {
    const { destDir } = await makeSandbox();
    const started = performance.now();
    let error: unknown;
    const growth = await peakRssGrowth(async () => {
      error = await extractArchive({ archivePath: fixture('hostile/bomb_512MiB.zip'), destDir }).catch((caught: unknown) => caught);
    });
    assert.ok(performance.now() - started < 2000, 'stopped within 2 s');
    assert.ok(growth < 100 * MIB, `RSS grew by ${Math.round(growth / MIB)} MiB`);
    assert.ok(error instanceof IngestError && error.code === 'ARCHIVE_LIMIT_EXCEEDED');
    assert.equal(error.details?.['budget'], 'maxCompressionRatio');
    assert.match(error.message, /compression ratio \d+:1 exceeds 100:1/);
  });

  it('bomb_512MiB.zip is stopped by the total budget from its central directory when ratios are allowed', async () => {
    const error = await rejectsWithCode(
      readArchiveEntries({
        archivePath: fixture('hostile/bomb_512MiB.zip'),
        budgets: { maxCompressionRatio: Number.POSITIVE_INFINITY, maxTotalBytes: 256 * MIB },
        onEntry: () => assert.fail('nothing may be inflated'),
      }),
      'ARCHIVE_LIMIT_EXCEEDED',
    );
    assert.deepEqual(error.details, { budget: 'maxTotalBytes', limit: 256 * MIB, observed: 512 * MIB });
  });

  it('truncated.tar.gz fails as ARCHIVE_CORRUPT naming the cause', async () => {
    const { destDir } = await makeSandbox();
    const error = await rejectsWithCode(extractArchive({ archivePath: fixture('hostile/truncated.tar.gz'), destDir }), 'ARCHIVE_CORRUPT');
    assert.match(error.message, /corrupt or truncated: unexpected end of file/);
  });
});

describe('readArchiveEntries', () => {
  it('streams each file in archive order with its declared size, writing nothing', async () => {
    const { root } = await makeSandbox();
    const before = await snapshotTree(root);
    const seen: string[] = [];
    const result = await readArchiveEntries({
      archivePath: smallZip,
      onEntry: async (entry) => {
        const bytes = await drain(entry);
        assert.equal(bytes.length, entry.size);
        seen.push(`${entry.path} ${createHash('sha256').update(bytes).digest('hex').slice(0, 8)}`);
      },
    });
    assert.equal(seen.length, 8);
    assert.equal(seen[0], 'manifest.json 2a39b61e');
    assert.deepEqual(
      result.entries.map((entry) => entry.path),
      seen.map((line) => line.split(' ')[0]),
    );
    assert.deepEqual(await snapshotTree(root), before);
  });

  for (const format of ['tar.gz', 'zip'] as const) {
    it(`holds back inflation while a slow consumer is behind (${format})`, async function () {
      this.timeout(15_000);
      const { archiveDir } = await makeSandbox();
      const archivePath = join(archiveDir, `slow.${format}`);
      const bigSize = 64 * MIB;
      if (format === 'tar.gz') {
        await writeZeroFilledTarGz({
          file: archivePath,
          entries: [
            { path: 'big.bin', size: bigSize },
            { path: 'small.txt', size: 10 },
          ],
        });
      } else {
        await writeFile(
          archivePath,
          buildZip([
            { name: 'big.bin', body: Buffer.alloc(bigSize) },
            { name: 'small.txt', body: Buffer.alloc(10) },
          ]),
        );
      }
      const events: string[] = [];
      let bufferGrowthWhilePaused = 0;
      let queuedWhilePaused = 0;
      await readArchiveEntries({
        archivePath,
        budgets: { maxCompressionRatio: Number.POSITIVE_INFINITY },
        onEntry: async (entry) => {
          events.push(`start ${entry.path}`);
          const iterator = entry.stream[Symbol.asyncIterator]();
          let received = ((await iterator.next()).value as Buffer | undefined)?.length ?? 0;
          const baseline = process.memoryUsage().arrayBuffers;
          await sleep(300);
          bufferGrowthWhilePaused = Math.max(bufferGrowthWhilePaused, process.memoryUsage().arrayBuffers - baseline);
          queuedWhilePaused = Math.max(queuedWhilePaused, entry.stream.readableLength);
          for (let next = await iterator.next(); next.done !== true; next = await iterator.next()) {
            received += (next.value as Buffer).length;
          }
          assert.equal(received, entry.size);
          await sleep(20);
          events.push(`end ${entry.path}`);
        },
      });
      assert.deepEqual(events, ['start big.bin', 'end big.bin', 'start small.txt', 'end small.txt']);
      // Unbounded, the 64 MiB of zeros would have been inflated into memory during the pause.
      assert.ok(queuedWhilePaused < 1 * MIB, `${queuedWhilePaused} bytes queued for the consumer while it paused`);
      assert.ok(bufferGrowthWhilePaused < 8 * MIB, `buffers grew by ${Math.round(bufferGrowthWhilePaused / MIB)} MiB while paused`);
    });
  }

  it('drains what a consumer leaves unread and still counts it', async () => {
    const result = await readArchiveEntries({ archivePath: smallTarGz, onEntry: async () => undefined });
    assert.equal(result.entries.length, 8);
    assert.equal(result.entries.find((entry) => entry.path.endsWith('bpdbjobs_most_columns.csv'))?.size, 59385);
  });

  it("rejects with the consumer's own error", async () => {
    const failure = new Error('COPY failed');
    await assert.rejects(
      readArchiveEntries({
        archivePath: smallTarGz,
        onEntry: async (entry) => {
          await drain(entry);
          throw failure;
        },
      }),
      (error) => error === failure,
    );
  });

  it('stops when the caller aborts, keeping an IngestError reason as is', async () => {
    for (const archivePath of [smallTarGz, smallZip]) {
      const controller = new AbortController();
      await rejectsWithCode(
        readArchiveEntries({
          archivePath,
          signal: controller.signal,
          onEntry: async (entry) => {
            controller.abort();
            await drain(entry);
          },
        }),
        'ARCHIVE_ABORTED',
      );
      const timeout = new IngestError('JOB_TIMEOUT', 'job timed out');
      await assert.rejects(
        readArchiveEntries({ archivePath, signal: AbortSignal.abort(timeout), onEntry: async () => undefined }),
        (error) => error === timeout,
      );
    }
  });

  it('under the skip policy reports unsafe entries and delivers the rest', async () => {
    const { archiveDir } = await makeSandbox();
    const archivePath = join(archiveDir, 'mixed.tar.gz');
    await writeFile(
      archivePath,
      buildTarGz([
        { path: 'a.csv', body: 'a' },
        { path: '../evil.csv', body: 'x' },
        { path: 'b.csv', body: 'b' },
      ]),
    );
    const delivered: string[] = [];
    const result = await readArchiveEntries({
      archivePath,
      unsafeEntries: 'skip',
      onEntry: async (entry) => {
        delivered.push(`${entry.path}=${(await drain(entry)).toString()}`);
      },
    });
    assert.deepEqual(delivered, ['a.csv=a', 'b.csv=b']);
    assert.deepEqual(result.skipped, [{ name: '../evil.csv', reason: 'parent-traversal' }]);
  });
});

describe('extractArchive cleanup and destination safety', () => {
  it('removes files written before an unsafe entry turned up, and delivers none after it', async () => {
    const { root, destDir, archiveDir } = await makeSandbox();
    const archivePath = join(archiveDir, 'late-evil.tar.gz');
    await writeFile(
      archivePath,
      buildTarGz([
        { path: 'export/a.csv', body: 'a' },
        { path: 'export/b.csv', body: 'b' },
        { path: 'export/../../../evil.csv', body: 'x' },
        { path: 'export/c.csv', body: 'c' },
      ]),
    );
    const before = await snapshotTree(root);
    const error = await rejectsWithCode(extractArchive({ archivePath, destDir }), 'ARCHIVE_UNSAFE_ENTRIES');
    assert.deepEqual(error.details?.['skipped'], [{ name: 'export/../../../evil.csv', reason: 'parent-traversal' }]);
    assert.deepEqual(await readdir(destDir), []);
    assert.deepEqual(await snapshotTree(root), before);
  });

  it('never writes through a symlink already planted in the destination', async () => {
    const { root, destDir, archiveDir } = await makeSandbox();
    const outside = join(root, 'outside');
    await mkdir(outside);
    await symlink(outside, join(destDir, 'export'));
    const archivePath = join(archiveDir, 'through-link.tar.gz');
    await writeFile(
      archivePath,
      buildTarGz([
        { path: 'first.csv', body: '1' },
        { path: 'export/file.csv', body: 'x' },
      ]),
    );
    await rejectsWithCode(extractArchive({ archivePath, destDir }), 'ARCHIVE_DESTINATION_CONFLICT');
    assert.deepEqual(await readdir(outside), []);
    assert.deepEqual(await readdir(destDir), ['export'], 'our file removed, the caller’s link left alone');
    await rm(join(destDir, 'export'));
  });
});
