import assert from 'node:assert/strict';
import { toNumberedLines } from '../../../../src/modules/shared/text/numbered-line.js';
import { parseAlignedTable } from '../../../../src/modules/shared/text/parse-aligned-table.js';

describe('parseAlignedTable', () => {
  it('maps values to multi-word headings in order', () => {
    const table = parseAlignedTable(toNumberedLines(['Node      Type  SW Version  Disks(OK/Total)', 'SN002     SN    5.5.2       11/12'].join('\n')));
    assert.deepEqual(table.headings, ['Node', 'Type', 'SW Version', 'Disks(OK/Total)']);
    assert.deepEqual(
      [...(table.rows[0]?.cells ?? [])],
      [
        ['Node', 'SN002'],
        ['Type', 'SN'],
        ['SW Version', '5.5.2'],
        ['Disks(OK/Total)', '11/12'],
      ],
    );
    assert.equal(table.rows[0]?.line, 2);
  });

  it('keeps single-spaced values (times) whole', () => {
    const table = parseAlignedTable(
      toNumberedLines(
        ['Source FS       State     Last Sync                   Backlog (GiB)', 'ost_lsu_prod01  Normal    2023-01-13 11:52:00 +0900   0.00'].join('\n'),
      ),
    );
    assert.equal(table.rows[0]?.cells.get('Last Sync'), '2023-01-13 11:52:00 +0900');
    assert.equal(table.rows[0]?.cells.get('Backlog (GiB)'), '0.00');
  });

  it('places values by column when a cell is empty', () => {
    const table = parseAlignedTable(toNumberedLines(['Node      Type  Status    Serial', 'AN001           Normal    SN2301A0011'].join('\n')));
    const cells = table.rows[0]?.cells;
    assert.equal(cells?.get('Node'), 'AN001');
    assert.equal(cells?.get('Type'), undefined);
    assert.equal(cells?.get('Status'), 'Normal');
    assert.equal(cells?.get('Serial'), 'SN2301A0011');
  });

  it('skips blank and rule lines, reads tabs as separators and CRLF', () => {
    const table = parseAlignedTable(toNumberedLines('\r\nNode\tType\r\n----  ----\r\nAN001\tAN\r\n\r\n'));
    assert.equal(table.rows.length, 1);
    assert.equal(table.rows[0]?.cells.get('Type'), 'AN');
  });

  it('returns nothing for an empty section', () => {
    assert.deepEqual(parseAlignedTable(toNumberedLines('\n  \n')), { headings: [], rows: [] });
  });
});
