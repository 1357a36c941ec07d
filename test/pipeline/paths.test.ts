import assert from 'node:assert/strict';
import { areaPath, formatReceiveTime, jobRelativePath, sanitizeSegment } from '../../src/pipeline/paths.js';

describe('paths', () => {
  it('sanitizes hostile segments into one safe, bounded segment', () => {
    assert.equal(sanitizeSegment('icecream_machine'), 'icecream_machine');
    assert.equal(sanitizeSegment('../x'), '___x');
    assert.equal(sanitizeSegment('a/b'), 'a_b');
    assert.equal(sanitizeSegment('a\\b'), 'a_b');
    assert.equal(sanitizeSegment('nul\0byte'), 'nul_byte');
    assert.equal(sanitizeSegment('..'), '__');
    assert.equal(sanitizeSegment('.hidden'), '_hidden');
    assert.equal(sanitizeSegment(''), '_');
    assert.equal(sanitizeSegment('Grid 1 (prod)'), 'Grid_1__prod_');
    const long = sanitizeSegment('x'.repeat(300));
    assert.equal(long.length, 100);
    assert.notEqual(long, sanitizeSegment(`${'x'.repeat(299)}y`), 'shortened names stay distinct');
  });

  it('formats the receive time as the seed does, in the configured zone', () => {
    const at = new Date('2023-01-13T03:00:00Z');
    assert.equal(formatReceiveTime(at, 'UTC'), '20230113_030000');
    assert.equal(formatReceiveTime(at, 'Asia/Tokyo'), '20230113_120000');
  });

  it('builds the seed layout and refuses paths that leave their area', () => {
    const parts = {
      customer: 'bobs_burgers',
      category: 'hydrastor',
      type: 'system_report',
      group: 'icecream_machine',
      receivedAt: new Date('2023-01-13T12:00:00Z'),
      timeZone: 'UTC',
    };
    assert.equal(jobRelativePath(parts), 'bobs_burgers/hydrastor/system_report/icecream_machine/20230113_120000');
    assert.equal(jobRelativePath(parts, 3), 'bobs_burgers/hydrastor/system_report/icecream_machine/20230113_120000_3');
    assert.equal(areaPath('/home/mailbox', 'inbox', 'a/b'), '/home/mailbox/inbox/a/b');
    assert.throws(() => areaPath('/home/mailbox', 'inbox', '../tmp/x'), /escapes inbox/);
    assert.throws(() => areaPath('/home/mailbox', 'inbox', '/etc/passwd'), /escapes inbox/);
  });
});
