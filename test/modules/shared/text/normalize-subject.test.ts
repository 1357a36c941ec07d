import assert from 'node:assert/strict';
import { normalizeSubject } from '../../../../src/modules/shared/text/normalize-subject.js';

const REPORT_SUBJECT = '[HYDRAstor] System Report: icecream_machine (S/N 8A5-000123) 2023-01-13';

describe('normalizeSubject', () => {
  it('leaves an undecorated subject as it is', () => {
    assert.equal(normalizeSubject(REPORT_SUBJECT), REPORT_SUBJECT);
  });

  for (const prefix of ['RE: ', 'Re: ', 'FW: ', 'Fwd: ', 'AW: ', 'WG: ', '[EXT] ', '[EXTERNAL] ', 'Re[2]: ', 'RE:FW: ']) {
    it(`strips the prefix ${JSON.stringify(prefix)}`, () => {
      assert.equal(normalizeSubject(prefix + REPORT_SUBJECT), REPORT_SUBJECT);
    });
  }

  it('strips prefixes in any combination and order', () => {
    assert.equal(normalizeSubject(`[EXT] RE: Fwd: AW:  [EXT] FW: ${REPORT_SUBJECT}`), REPORT_SUBJECT);
    assert.equal(normalizeSubject(`fw: re: [ext] ${REPORT_SUBJECT}`), REPORT_SUBJECT);
  });

  it('unfolds folded headers and collapses runs of whitespace', () => {
    const folded = '[HYDRAstor] System Report:\r\n icecream_machine\r\n\t(S/N 8A5-000123)   2023-01-13 \r\n';
    assert.equal(normalizeSubject(folded), REPORT_SUBJECT);
  });

  it('keeps the [HYDRAstor] tag, which only looks like a gateway tag', () => {
    assert.equal(normalizeSubject('[HYDRAstor][WARNING] x'), '[HYDRAstor][WARNING] x');
  });

  it('stops after a bounded number of prefixes on a hostile subject', () => {
    const hostile = 'RE: '.repeat(10_000) + REPORT_SUBJECT;
    const started = performance.now();
    const normalized = normalizeSubject(hostile);
    assert.ok(performance.now() - started < 1000);
    assert.ok(normalized.endsWith(REPORT_SUBJECT));
  });
});
