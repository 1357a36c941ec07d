import assert from 'node:assert/strict';
import { matchAlertSubject } from '../../../../src/modules/hydrastor/alert/match-alert-subject.js';
import { readFixtureMail } from '../support/mail-fixtures.js';

const FULL = '[HYDRAstor][WARNING] icecream_machine HS-E10431 SN002: Disk failure detected';

describe('matchAlertSubject', () => {
  it('reads the fixture subjects (folded headers included)', async () => {
    const subjects = await Promise.all(
      ['alert_disk_failure.eml', 'alert_recovered.eml', 'alert_grid_capacity.eml'].map(async (name) => (await readFixtureMail(name)).subject ?? ''),
    );
    assert.deepEqual(subjects.map(matchAlertSubject), [
      { severity: 'WARNING', grid: 'icecream_machine', eventId: 'HS-E10431', node: 'SN002', summary: 'Disk failure detected', complete: true },
      { severity: 'INFO', grid: 'icecream_machine', eventId: 'HS-I10432', node: 'SN002', summary: 'Data rebuild completed', complete: true },
      { severity: 'WARNING', grid: 'icecream_machine', eventId: 'HS-W30002', node: '-', summary: 'Capacity above 80%', complete: true },
    ]);
  });

  for (const prefix of ['RE: ', 'FW: ', 'Fwd: ', '[EXT] ', 'AW: [EXT] ']) {
    it(`tolerates the prefix ${JSON.stringify(prefix)}`, () => {
      assert.equal(matchAlertSubject(prefix + FULL)?.eventId, 'HS-E10431');
    });
  }

  it('keeps a colon inside the summary', () => {
    assert.equal(matchAlertSubject('[HYDRAstor][ERROR] g HS-E00001 AN001: Link down: port 2')?.summary, 'Link down: port 2');
  });

  it('takes only whole tokens from a truncated subject', () => {
    assert.deepEqual(matchAlertSubject('[HYDRAstor][WARNING] icecream_machine HS-E10431 SN002: Disk fail'), {
      severity: 'WARNING',
      grid: 'icecream_machine',
      eventId: 'HS-E10431',
      node: 'SN002',
      summary: 'Disk fail',
      complete: true,
    });
    assert.deepEqual(matchAlertSubject('[HYDRAstor][WARNING] icecream_machine HS-E10431 SN0'), {
      severity: 'WARNING',
      grid: 'icecream_machine',
      eventId: 'HS-E10431',
      node: null,
      summary: null,
      complete: false,
    });
    assert.deepEqual(matchAlertSubject('[HYDRAstor][WARNING] icecream_machine HS-E104'), {
      severity: 'WARNING',
      grid: 'icecream_machine',
      eventId: null,
      node: null,
      summary: null,
      complete: false,
    });
    assert.deepEqual(matchAlertSubject('[HYDRAstor][CRITICAL] icecream_mach'), {
      severity: 'CRITICAL',
      grid: null,
      eventId: null,
      node: null,
      summary: null,
      complete: false,
    });
  });

  it('rejects report and unrelated subjects', () => {
    assert.equal(matchAlertSubject('[HYDRAstor] System Report: icecream_machine (S/N 8A5-000123) 2023-01-13'), null);
    assert.equal(matchAlertSubject('[HYDRAstor][DEBUG] icecream_machine HS-E10431 SN002: x'), null);
    assert.equal(matchAlertSubject('Lunch on Friday?'), null);
  });
});
