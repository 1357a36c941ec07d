import assert from 'node:assert/strict';
import { basenameOfExportEntry, EXPORT_FILES, missingRequiredExportFiles } from '../../../../src/modules/hydrastor/veritas2hview/export-entry-kind.js';

describe('basenameOfExportEntry', () => {
  it('recognises every export file at the top or under one folder, with either separator and any case', () => {
    for (const [kind, { fileName }] of Object.entries(EXPORT_FILES)) {
      assert.equal(basenameOfExportEntry(fileName), kind);
      assert.equal(basenameOfExportEntry(`./${fileName}`), kind);
      assert.equal(basenameOfExportEntry(`Veritas2Hview_x_20230113T030000Z/${fileName}`), kind);
      assert.equal(basenameOfExportEntry(`Export\\${fileName.toUpperCase()}`), kind);
    }
  });

  it('ignores unknown files, folders, deeper paths and macOS resource forks', () => {
    for (const path of [
      'README.txt',
      'folder/',
      'a/b/bpdbjobs_most_columns.csv',
      '__MACOSX/bpdbjobs_most_columns.csv',
      '__MACOSX/x/._bpdbjobs_most_columns.csv',
      '../bpdbjobs_most_columns.csv',
      'bpdbjobs_most_columns.csv.bak',
      '',
    ]) {
      assert.equal(basenameOfExportEntry(path), null, path);
    }
  });

  it('names the required files an archive lacks', () => {
    assert.deepEqual(missingRequiredExportFiles(new Set(['manifest'])), ['bpdbjobs']);
    assert.deepEqual(missingRequiredExportFiles(new Set(['bpdbjobs'])), []);
  });
});
