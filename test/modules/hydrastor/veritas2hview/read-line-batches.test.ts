import assert from 'node:assert/strict';
import { lineCountOf, lineOf, readLineBatches, type TextChunkSource } from '../../../../src/modules/hydrastor/veritas2hview/read-line-batches.js';
import type { ParseIssue } from '../../../../src/modules/parse-issue.js';
import { chunksOf } from './support/read-archive-entries.js';

async function readAll(source: TextChunkSource, maxLineChars?: number): Promise<{ lines: [number, string][]; issues: ParseIssue[] }> {
  const lines: [number, string][] = [];
  const issues: ParseIssue[] = [];
  const options = maxLineChars === undefined ? { file: 'f.txt' } : { file: 'f.txt', maxLineChars };
  for await (const batch of readLineBatches(source, options)) {
    for (let index = 0; index < lineCountOf(batch); index += 1) lines.push([batch.firstLineNumber + index, lineOf(batch, index)]);
    issues.push(...batch.issues);
  }
  return { lines, issues };
}

describe('readLineBatches', () => {
  it('splits LF and CRLF lines, numbering them, with or without a final newline', async () => {
    const { lines, issues } = await readAll(['a\r\nbb\n\nccc\r\nlast']);
    assert.deepEqual(lines, [
      [1, 'a'],
      [2, 'bb'],
      [3, ''],
      [4, 'ccc'],
      [5, 'last'],
    ]);
    assert.deepEqual(issues, []);
  });

  it('reassembles lines and multi-byte characters split across chunks', async () => {
    const text = 'ä€𝄞 first\r\nsecond ü\nthird\r\n';
    for (const size of [1, 2, 3, 4, 7]) {
      const { lines } = await readAll(chunksOf(Buffer.from(text, 'utf8'), size));
      assert.deepEqual(
        lines,
        [
          [1, 'ä€𝄞 first'],
          [2, 'second ü'],
          [3, 'third'],
        ],
        `chunks of ${size}`,
      );
    }
  });

  it('strips a CR that ends a chunk when its LF comes in the next one', async () => {
    const { lines } = await readAll(['one\r', '\ntwo\r', '\n']);
    assert.deepEqual(lines, [
      [1, 'one'],
      [2, 'two'],
    ]);
  });

  it('drops a leading BOM only', async () => {
    const { lines } = await readAll([Buffer.from('\ufeffa\n\ufeffb\n', 'utf8')]);
    assert.deepEqual(lines, [
      [1, 'a'],
      [2, '\ufeffb'],
    ]);
  });

  it('replaces overlong lines by empty lines with one issue each, inside or across chunks', async () => {
    const long = 'x'.repeat(50);
    const { lines, issues } = await readAll(['ok\n', long.slice(0, 20), long.slice(20), long, '\nfine\n', `${long}\nend`], 30);
    assert.deepEqual(lines, [
      [1, 'ok'],
      [2, ''],
      [3, 'fine'],
      [4, ''],
      [5, 'end'],
    ]);
    assert.deepEqual(
      issues.map((issue) => issue.line),
      [2, 4],
    );
    assert.match(issues[0]!.message, /longer than 30 characters/);
  });

  it('yields nothing for an empty input', async () => {
    assert.deepEqual(await readAll([]), { lines: [], issues: [] });
    assert.deepEqual(await readAll([Buffer.alloc(0), '']), { lines: [], issues: [] });
  });
});
