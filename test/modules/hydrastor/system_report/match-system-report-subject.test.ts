import assert from 'node:assert/strict';
import { simpleParser } from 'mailparser';
import { matchSystemReportSubject } from '../../../../src/modules/hydrastor/system_report/match-system-report-subject.js';
import { systemReportGroup } from '../../../../src/modules/hydrastor/system_report/system-report-group.js';
import { readFixtureMail, readFixtureSource, withHeader } from '../support/mail-fixtures.js';

const EXPECTED = { grid: 'icecream_machine', serial: '8A5-000123', date: '2023-01-13' };

describe('matchSystemReportSubject', () => {
  it('matches the fixture mail (folded Subject header)', async () => {
    const mail = await readFixtureMail('system_report.eml');
    assert.deepEqual(matchSystemReportSubject(mail.subject ?? ''), EXPECTED);
  });

  it('matches the three daily fixtures with their dates', async () => {
    const dates: string[] = [];
    for (const name of ['system_report.eml', 'system_report_zip.eml', 'system_report_body_only.eml']) {
      dates.push(matchSystemReportSubject((await readFixtureMail(name)).subject ?? '')?.date ?? 'no match');
    }
    assert.deepEqual(dates, ['2023-01-13', '2023-01-14', '2023-01-15']);
  });

  for (const prefix of ['RE: ', 'FW: ', 'Fwd: ', 'AW: ', '[EXT] ', 'RE: [EXT] FW: ', 'Note: ']) {
    it(`tolerates the prefix ${JSON.stringify(prefix)}`, () => {
      assert.deepEqual(matchSystemReportSubject(`${prefix}[HYDRAstor] System Report: icecream_machine (S/N 8A5-000123) 2023-01-13`), EXPECTED);
    });
  }

  it('tolerates a subject folded in unusual places and with runs of whitespace', async () => {
    const source = (await readFixtureSource('system_report.eml')).toString('utf8');
    const folded = withHeader(source, 'Subject', 'FW: [EXT]\r\n\t[HYDRAstor] System Report:\r\n   icecream_machine  (S/N 8A5-000123)\r\n 2023-01-13');
    const mail = await simpleParser(folded);
    assert.deepEqual(matchSystemReportSubject(mail.subject ?? ''), EXPECTED);
  });

  it('rejects alert and unrelated subjects', async () => {
    assert.equal(matchSystemReportSubject('[HYDRAstor][WARNING] icecream_machine HS-E10431 SN002: Disk failure detected'), null);
    assert.equal(matchSystemReportSubject((await readFixtureMail('unclassified.eml')).subject ?? ''), null);
    assert.equal(matchSystemReportSubject('[HYDRAstor] System Report: icecream_machine 2023-01-13'), null);
  });
});

describe('systemReportGroup', () => {
  it('is the grid name from the subject', () => {
    const subject = matchSystemReportSubject('[HYDRAstor] System Report: icecream_machine (S/N 8A5-000123) 2023-01-13');
    assert.ok(subject !== null);
    assert.equal(systemReportGroup(subject), 'icecream_machine');
  });
});
