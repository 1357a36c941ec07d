import assert from 'node:assert/strict';
import { DEFAULT_ARCHIVE_BUDGETS } from '../../../src/pipeline/extract/extract-budgets.js';
import { normalizeEntryPath, stripCommonTopLevelFolder } from '../../../src/pipeline/extract/extract-entry-path.js';
import type { SkipReason } from '../../../src/pipeline/extract/extract-types.js';

describe('normalizeEntryPath', () => {
  const refused: readonly [string, SkipReason][] = [
    ['', 'empty-name'],
    ['./', 'empty-name'],
    ['../x', 'parent-traversal'],
    ['../../x', 'parent-traversal'],
    ['dir/../../x', 'parent-traversal'],
    ['a/../b', 'parent-traversal'],
    ['../dest-evil/x', 'parent-traversal'],
    ['..\\x', 'parent-traversal'],
    ['dir\\..\\..\\x', 'parent-traversal'],
    ['/abs/x', 'absolute-path'],
    ['////etc/x', 'absolute-path'],
    ['\\\\server\\share\\x', 'absolute-path'],
    ['C:\\x', 'drive-letter'],
    ['C:x', 'drive-letter'],
    ['c:/x', 'drive-letter'],
    ['a\u0000b', 'control-character'],
    ['a\r\nb.txt', 'control-character'],
    [`${'d/'.repeat(DEFAULT_ARCHIVE_BUDGETS.maxPathDepth)}f`, 'path-too-deep'],
    [`${'x'.repeat(300)}.csv`, 'name-too-long'],
    [`${`${'x'.repeat(200)}/`.repeat(6)}f`, 'path-too-long'],
  ];
  for (const [name, reason] of refused) {
    it(`refuses ${JSON.stringify(name.length > 40 ? `${name.slice(0, 40)}…` : name)} as ${reason}`, () => {
      assert.deepEqual(normalizeEntryPath(name, DEFAULT_ARCHIVE_BUDGETS), { ok: false, reason });
    });
  }

  it('drops "." and empty segments and keeps the rest verbatim', () => {
    const normalized = normalizeEntryPath('./top//sub/./café report.csv', DEFAULT_ARCHIVE_BUDGETS);
    assert.deepEqual(normalized, { ok: true, path: 'top/sub/café report.csv', segments: ['top', 'sub', 'café report.csv'] });
  });

  it('treats backslashes as separators (archives made on Windows)', () => {
    const normalized = normalizeEntryPath('export\\bpdbjobs_most_columns.csv', DEFAULT_ARCHIVE_BUDGETS);
    assert.equal(normalized.ok && normalized.path, 'export/bpdbjobs_most_columns.csv');
  });

  it('accepts a path exactly at the depth budget', () => {
    const name = `${'d/'.repeat(DEFAULT_ARCHIVE_BUDGETS.maxPathDepth - 1)}f`;
    assert.equal(normalizeEntryPath(name, DEFAULT_ARCHIVE_BUDGETS).ok, true);
  });
});

describe('stripCommonTopLevelFolder', () => {
  it('strips the one folder every path sits under', () => {
    assert.deepEqual(stripCommonTopLevelFolder(['export/manifest.json', 'export/sub/a.txt']), {
      folder: 'export',
      paths: ['manifest.json', 'sub/a.txt'],
    });
  });

  it('leaves paths alone when one sits at the top level or folders differ', () => {
    const atTop = ['export/manifest.json', 'readme.txt'];
    assert.deepEqual(stripCommonTopLevelFolder(atTop), { folder: undefined, paths: atTop });
    const twoFolders = ['a/x.csv', 'b/y.csv'];
    assert.deepEqual(stripCommonTopLevelFolder(twoFolders), { folder: undefined, paths: twoFolders });
  });

  it('handles an empty list', () => {
    assert.deepEqual(stripCommonTopLevelFolder([]), { folder: undefined, paths: [] });
  });
});
