import assert from 'node:assert/strict';
import type { BpimagelistImage } from '../../../../src/modules/hydrastor/veritas2hview/bpimagelist-image.js';
import { parseBpimagelist } from '../../../../src/modules/hydrastor/veritas2hview/parse-bpimagelist.js';
import type { ParseIssue } from '../../../../src/modules/parse-issue.js';
import { chunksOf } from './support/read-archive-entries.js';

const IMAGE =
  'IMAGE fs13.acme.local 0 0 13 fs13.acme.local_1673492401 SQL_Prod 13 *NULL* root Daily_Incr 1 3 1673492401 635 1676084400 0 0 ' +
  '8774710 174623 1 1 0 *NULL* 0 *NULL* 0 1 0 0 0 *NULL* 0 0 0 0 0 0 0 *NULL* 0 0 0 *NULL* 4711 0 0 0 0 0 *NULL* *NULL* 0 0 0 0 *NULL* *NULL* 0 0 0';
const HISTO = 'HISTO -1 -1 -1 -1 -1 -1 -1 -1 -1 -1';
const FRAG = 'FRAG 1 1 8774710 0 0 0 0 @aaaab nbumedia01.acme.local 262144 0 1673492401 -1 0 *NULL* 1676084400 0 3 0 0 0 0 0 0 0 0 *NULL* *NULL* 0 0';

async function parseAll(text: string | Buffer, options: { batchImages?: number; chunkBytes?: number } = {}) {
  const images: BpimagelistImage[] = [];
  const issues: ParseIssue[] = [];
  const batchSizes: number[] = [];
  const buffer = Buffer.isBuffer(text) ? text : Buffer.from(text, 'utf8');
  const source = chunksOf(buffer, options.chunkBytes ?? 65_536);
  for await (const batch of parseBpimagelist(source, options.batchImages === undefined ? {} : { batchImages: options.batchImages })) {
    images.push(...batch.images);
    issues.push(...batch.issues);
    batchSizes.push(batch.images.length);
  }
  return { images, issues, batchSizes };
}

describe('parseBpimagelist', () => {
  it('types an image with its histogram and fragment; *NULL* becomes null', async () => {
    const { images, issues } = await parseAll(`${IMAGE}\n${HISTO}\n${FRAG}\n`);
    assert.deepEqual(issues, []);
    assert.equal(images.length, 1);
    const image = images[0]!;
    assert.equal(image.client, 'fs13.acme.local');
    assert.equal(image.backupId, 'fs13.acme.local_1673492401');
    assert.equal(image.policy, 'SQL_Prod');
    assert.equal(image.proxyClient, null);
    assert.equal(image.scheduleLabel, 'Daily_Incr');
    assert.deepEqual(image.backupTime, new Date(1_673_492_401_000));
    assert.deepEqual(image.expiresAt, new Date(1_676_084_400_000));
    assert.equal(image.kilobytes, 8_774_710);
    assert.equal(image.files, 174_623);
    assert.equal(image.fragmentCount, 1);
    assert.equal(image.keyword, null);
    assert.equal(image.jobId, 4711);
    assert.deepEqual(
      image.histogram,
      Array.from({ length: 10 }, () => -1),
    );
    assert.equal(image.fragments.length, 1);
    const fragment = image.fragments[0]!;
    assert.equal(fragment.line, 3);
    assert.equal(fragment.copyNumber, 1);
    assert.equal(fragment.kilobytes, 8_774_710);
    assert.equal(fragment.mediaId, '@aaaab');
    assert.equal(fragment.host, 'nbumedia01.acme.local');
    assert.equal(fragment.deviceWrittenOn, -1);
    assert.equal(fragment.mediaDescriptor, null);
    assert.equal(fragment.retentionLevel, 3);
  });

  it('parses short lines (older versions) up to what is present and ignores extra fields', async () => {
    const shortImage = IMAGE.split(' ').slice(0, 8).join(' ');
    const shortFrag = FRAG.split(' ').slice(0, 10).join(' ');
    const longFrag = `${FRAG} 1 2 3 extra`;
    const { images, issues } = await parseAll([shortImage, shortFrag, longFrag].join('\n'));
    assert.deepEqual(issues, []);
    assert.equal(images[0]!.policy, 'SQL_Prod');
    assert.equal(images[0]!.kilobytes, null);
    assert.equal(images[0]!.jobId, null);
    assert.equal(images[0]!.histogram, null);
    assert.deepEqual(
      images[0]!.fragments.map((fragment) => [fragment.mediaId, fragment.host, fragment.blockSize]),
      [
        ['@aaaab', 'nbumedia01.acme.local', null],
        ['@aaaab', 'nbumedia01.acme.local', 262_144],
      ],
    );
  });

  it('reports orphan FRAG lines, IMAGE lines without a backup id, bad numbers and unknown lines', async () => {
    const badNumber = IMAGE.replace(' 8774710 ', ' lots ');
    const text = [FRAG, 'IMAGE client 0', FRAG, badNumber, FRAG, 'SOMETHING else', ''].join('\r\n');
    const { images, issues } = await parseAll(text);
    assert.equal(images.length, 1);
    assert.equal(images[0]!.kilobytes, null);
    assert.equal(images[0]!.fragments.length, 1);
    assert.deepEqual(
      issues.map((issue) => [issue.line, issue.severity]),
      [
        [1, 'error'],
        [2, 'error'],
        [3, 'error'],
        [4, 'warning'],
        [6, 'warning'],
      ],
    );
    assert.match(issues[3]!.message, /IMAGE field 19: "lots" is not .*kept raw in extra/);
    assert.equal(issues[3]!.raw, 'lots');
    assert.deepEqual({ ...images[0]!.extra }, { field19: 'lots' });
  });

  it('tolerates runs of blanks and tabs between fields', async () => {
    const { images } = await parseAll(`${IMAGE.replace(/ /g, '  ')}\n${FRAG.replace(/ /g, '\t')}\n`);
    assert.equal(images[0]!.backupId, 'fs13.acme.local_1673492401');
    assert.equal(images[0]!.fragments[0]!.mediaId, '@aaaab');
  });

  it('streams: batches of at most batchImages, same result for any chunk size', async () => {
    const text = Array.from({ length: 7 }, (_, index) => `${IMAGE.replace('4711', String(index))}\n${HISTO}\n${FRAG}\n${FRAG}\n`).join('');
    const whole = await parseAll(text, { batchImages: 3 });
    assert.deepEqual(whole.batchSizes, [3, 3, 1]);
    assert.deepEqual(
      whole.images.map((image) => image.jobId),
      [0, 1, 2, 3, 4, 5, 6],
    );
    assert.ok(whole.images.every((image) => image.fragments.length === 2));
    const tiny = await parseAll(text, { batchImages: 3, chunkBytes: 5 });
    assert.deepEqual(tiny.images, whole.images);
  });
});
