import assert from 'node:assert/strict';
import type { ParseIssue } from '../../../../src/modules/parse-issue.js';
import { formatParseIssue } from '../../../../src/modules/parse-issue.js';
import { readCsvRecords } from '../../../../src/modules/shared/csv/read-csv-records.js';

function read(text: string): { records: ReturnType<typeof readCsvRecords>; issues: ParseIssue[] } {
  const issues: ParseIssue[] = [];
  return { records: readCsvRecords({ file: 'x.csv', text, issues }), issues };
}

describe('readCsvRecords', () => {
  it('keys values by normalised header, in any column order', () => {
    const { records, issues } = read('Node Name,node-type\nSN002,SN\n');
    assert.deepEqual(
      [...(records[0]?.values ?? [])],
      [
        ['node_name', 'SN002'],
        ['node_type', 'SN'],
      ],
    );
    assert.equal(records[0]?.line, 2);
    assert.deepEqual(issues, []);
  });

  it('reads RFC 4180 quoting: commas, doubled quotes, line breaks; CRLF and a BOM', () => {
    const { records, issues } = read('\uFEFFa,b\r\n"x, y","say ""hi"""\r\n"multi\r\nline",2\r\n');
    assert.deepEqual(issues, []);
    assert.equal(records[0]?.values.get('a'), 'x, y');
    assert.equal(records[0]?.values.get('b'), 'say "hi"');
    assert.equal(records[1]?.values.get('a'), 'multi\r\nline');
  });

  it('keeps a stray quote as written instead of losing the records after it', () => {
    const { records, issues } = read('a,b\n"bad"x,3\nab"c,4\n5,6\n');
    assert.deepEqual(
      records.map((record) => record.values.get('a')),
      ['"bad"x', 'ab"c', '5'],
    );
    assert.deepEqual(issues, []);
  });

  it('reports an unterminated quote with its line and keeps the records before it', () => {
    const { records, issues } = read('a,b\n1,2\n"unterminated,3\n');
    assert.equal(records.length, 1);
    assert.equal(issues.length, 1);
    assert.match(formatParseIssue(issues[0] as ParseIssue), /^x\.csv:\d+: unreadable CSV record: Quote Not Closed/);
  });

  it('reports values beyond the header and a repeated column', () => {
    const { records, issues } = read('a,a,b\n1,2,3,4\n');
    assert.equal(records[0]?.values.get('a'), '1');
    assert.deepEqual(
      issues.map((issue) => issue.line),
      [1, 2],
    );
  });

  it('skips empty lines and reports an empty file', () => {
    assert.equal(read('a\n\n1\n\n').records.length, 1);
    const empty = read('');
    assert.deepEqual(empty.records, []);
    assert.match(empty.issues[0]?.message ?? '', /no header/);
  });
});
