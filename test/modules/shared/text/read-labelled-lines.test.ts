import assert from 'node:assert/strict';
import { labelTable, normalizeLabel } from '../../../../src/modules/shared/text/normalize-label.js';
import { mapLabelledLines, readLabelledLines } from '../../../../src/modules/shared/text/read-labelled-lines.js';

const TABLE = labelTable({
  node: ['Node'],
  occurredAt: ['Date/Time'],
  used: ['Physical Capacity Used (GiB)'],
});

describe('normalizeLabel', () => {
  it('ignores case, runs of spaces and spaces around / and parentheses', () => {
    assert.equal(normalizeLabel('  Physical Capacity Used  (GiB) '), 'physical capacity used (gib)');
    assert.equal(normalizeLabel('Date / Time'), 'date/time');
    assert.equal(normalizeLabel('Disks(OK/Total)'), 'disks (ok/total)');
  });
});

describe('readLabelledLines / mapLabelledLines', () => {
  it('reads aligned "Label : value" lines, with colons inside values', () => {
    const lines = readLabelledLines('Title line\nDate/Time            : 2023-01-13 11:42:00 +0900\nNode : SN002\n');
    assert.deepEqual(
      lines.map(({ label, value, line }) => ({ label, value, line })),
      [
        { label: 'Date/Time', value: '2023-01-13 11:42:00 +0900', line: 2 },
        { label: 'Node', value: 'SN002', line: 3 },
      ],
    );
  });

  it('matches labels case- and space-insensitively and keeps unknown ones', () => {
    const text = 'NODE: SN002\ndate / time : 2023-01-13 11:42:00\nPhysical Capacity Used  (GiB) : 1.5\nRack Position : R12';
    const mapped = mapLabelledLines({ lines: readLabelledLines(text), table: TABLE });
    assert.equal(mapped.fields.node?.value, 'SN002');
    assert.equal(mapped.fields.occurredAt?.value, '2023-01-13 11:42:00');
    assert.equal(mapped.fields.used?.value, '1.5');
    assert.deepEqual(mapped.extra, { 'Rack Position': 'R12' });
    assert.equal(mapped.knownCount, 3);
  });

  it('keeps the first value of a repeated known label', () => {
    const mapped = mapLabelledLines({ lines: readLabelledLines('Node : SN001\nNode : SN002'), table: TABLE });
    assert.equal(mapped.fields.node?.value, 'SN001');
  });

  it('does not take table rows or times for labels', () => {
    const text = 'ost_lsu_prod01  dr_grid  Normal    2023-01-13 11:52:00 +0900   0.00\n2023-01-12 18:00:00 +0900  WARNING';
    assert.deepEqual(readLabelledLines(text), []);
  });

  it('reads tab-separated cells (what an HTML table becomes)', () => {
    const mapped = mapLabelledLines({ lines: readLabelledLines('Node\tSN002\nDate/Time\t:\t2023-01-13 11:42:00'), table: TABLE });
    assert.equal(mapped.fields.node?.value, 'SN002');
    assert.equal(mapped.fields.occurredAt?.value, '2023-01-13 11:42:00');
  });

  it('joins indented continuation lines to the value above', () => {
    const lines = readLabelledLines('Message : Disk failure detected.\n    Data rebuild started.\n\n  not a continuation');
    assert.equal(lines.length, 1);
    assert.equal(lines[0]?.value, 'Disk failure detected. Data rebuild started.');
  });

  it('reads labels quoted in a reply', () => {
    const mapped = mapLabelledLines({ lines: readLabelledLines('> Node : SN002\n>> Date/Time : 2023-01-13 11:42:00'), table: TABLE });
    assert.equal(mapped.fields.node?.value, 'SN002');
    assert.equal(mapped.fields.occurredAt?.value, '2023-01-13 11:42:00');
  });

  it('handles CRLF line endings', () => {
    const lines = readLabelledLines('Node : SN002\r\nDate/Time : 2023-01-13 11:42:00\r\n');
    assert.deepEqual(
      lines.map((line) => line.value),
      ['SN002', '2023-01-13 11:42:00'],
    );
  });

  it('keeps labels that collide with Object.prototype names as plain data', () => {
    const mapped = mapLabelledLines({ lines: readLabelledLines('constructor : a\ntoString : b'), table: TABLE });
    assert.deepEqual(mapped.extra, { constructor: 'a', toString: 'b' });
  });
});
