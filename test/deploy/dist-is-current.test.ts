import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
// @ts-expect-error plain JavaScript of bin/, without types
import { distIsCurrent } from '../../bin/dist-is-current.js';

const isCurrent = distIsCurrent as (root: string) => boolean;

describe('bin/dist-is-current.js: when bin/dataprocessor.js may run the compiled build', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'dp-dist-'));
  });
  afterEach(async () => rm(root, { recursive: true, force: true }));

  // An hour ahead of the test's own writes, which give folders the current time.
  let base = 0;
  beforeEach(() => {
    base = Date.now() + 3_600_000;
  });
  const at = (seconds: number): Date => new Date(base + seconds * 1000);
  async function file(relative: string, seconds: number): Promise<void> {
    await mkdir(path.dirname(path.join(root, relative)), { recursive: true });
    await writeFile(path.join(root, relative), 'x');
    await utimes(path.join(root, relative), at(seconds), at(seconds));
    await utimes(path.dirname(path.join(root, relative)), at(seconds), at(seconds));
  }

  it('runs the build of a tree without sources (the Docker image), stamp or not', async () => {
    await file('dist/src/cli.js', 10);
    assert.equal(isCurrent(root), true);
  });

  it('runs the sources when the build has no stamp (an older or unfinished build)', async () => {
    await file('src/cli.ts', 10);
    await file('dist/src/cli.js', 20);
    assert.equal(isCurrent(root), false);
  });

  it('runs the build only while no source, configuration or migration is newer than its stamp', async () => {
    await file('src/pipeline/accept.ts', 10);
    await file('config/default.json', 10);
    await file('migrations/0001-core.ts', 10);
    await file('dist/.build-stamp', 20);
    assert.equal(isCurrent(root), true);
    for (const changed of ['src/pipeline/accept.ts', 'config/default.json', 'migrations/0001-core.ts']) {
      await utimes(path.join(root, changed), at(30), at(30));
      assert.equal(isCurrent(root), false, `${changed} changed after the build`);
      await utimes(path.join(root, changed), at(10), at(10));
    }
    await file('src/new-file.ts', 30);
    assert.equal(isCurrent(root), false, 'a new file after the build');
  });
});
