import assert from 'node:assert/strict';
import { parseHydrastorMap } from '../../../../src/modules/hydrastor/veritas2hview/parse-hydrastor-map.js';

describe('parseHydrastorMap', () => {
  it('reads the header form with a BOM, CRLF, comments, blank lines and quoted values', () => {
    const text =
      '\ufeffstorage_server,grid_serial,grid_name\r\n# maintained by storage team\r\nan1.example,8A5-000123,icecream_machine\r\n\r\n"an2,odd.example",8A5-000999,\r\n';
    const { entries, issues } = parseHydrastorMap(text);
    assert.deepEqual(issues, []);
    assert.deepEqual(entries, [
      { line: 3, storageServer: 'an1.example', gridSerial: '8A5-000123', gridName: 'icecream_machine' },
      { line: 5, storageServer: 'an2,odd.example', gridSerial: '8A5-000999', gridName: null },
    ]);
  });

  it('finds columns by header name in any order and ignores extra columns', () => {
    const { entries } = parseHydrastorMap('Grid_Name,notes,GRID_SERIAL,Storage_Server\nice,"a, b",8A5,an1.example\n');
    assert.deepEqual(entries, [{ line: 2, storageServer: 'an1.example', gridSerial: '8A5', gridName: 'ice' }]);
  });

  it('reads the positional form without a header', () => {
    const { entries } = parseHydrastorMap('an1.example,8A5\nan2.example,8A6,grid2\n');
    assert.deepEqual(
      entries.map((entry) => [entry.storageServer, entry.gridSerial, entry.gridName]),
      [
        ['an1.example', '8A5', null],
        ['an2.example', '8A6', 'grid2'],
      ],
    );
  });

  it('reports rows without a serial and conflicting repeats (first mapping wins)', () => {
    const text = 'storage_server,grid_serial,grid_name\nan1.example,8A5,a\nan2.example,,b\nAN1.example,8A6,c\nan1.example,8A5,a\n';
    const { entries, issues } = parseHydrastorMap(text, { file: 'map.csv' });
    assert.deepEqual(
      entries.map((entry) => entry.gridSerial),
      ['8A5'],
    );
    assert.deepEqual(
      issues.map((issue) => [issue.file, issue.line, issue.severity]),
      [
        ['map.csv', 3, 'error'],
        ['map.csv', 4, 'error'],
      ],
    );
    assert.match(issues[1]!.message, /already mapped to grid 8A5 on line 2/);
  });

  it('ignores a map that is not CSV, with one issue', () => {
    const broken = parseHydrastorMap('storage_server,grid_serial\n"an1.example,8A5\n');
    assert.deepEqual(broken.entries, []);
    assert.equal(broken.issues.length, 1);
    assert.match(broken.issues[0]!.message, /not readable as CSV/);
    const noSerial = parseHydrastorMap('storage_server,grid\nan1,8A5\n');
    assert.deepEqual(noSerial.entries, []);
    assert.match(noSerial.issues[0]!.message, /no "grid_serial" column/);
  });
});
