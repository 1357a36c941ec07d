import assert from 'node:assert/strict';
import { findUndecodedText, refuseUndecodedText } from '../../../../src/modules/hydrastor/common/refuse-undecoded-text.js';
import { IngestError } from '../../../../src/core/ingest-error.js';

describe('findUndecodedText / refuseUndecodedText', () => {
  it('finds U+FFFD in nested values and keys, skips issues, dates and numbers', () => {
    const record = {
      system: { name: 'K\u00fchlschrank_grid', reportTime: new Date(0), extra: {} },
      nodes: [{ name: 'n\u0153ud-1', disks: 3n }, { name: 'n\uFFFDud-2' }],
      issues: [{ message: 'value "K\uFFFDhl" is odd' }],
    };
    assert.deepEqual(findUndecodedText(record), { path: 'nodes[1].name', value: 'n\uFFFDud-2' });
    assert.deepEqual(findUndecodedText({ extra: { 'K\uFFFDhl': 'x' } }), { path: 'extra.K\uFFFDhl', value: 'K\uFFFDhl' });
    assert.deepEqual(findUndecodedText(new Map([['nodes.csv', 'a,b\nn\uFFFDud,1']])), { path: 'nodes.csv', value: 'a,b\nn\uFFFDud,1' });
    assert.equal(findUndecodedText({ name: 'K\u00fchlschrank_grid', issues: ['\uFFFD'] }), undefined);
  });

  it('throws a clear, exposed, permanent error naming the field and the value', () => {
    assert.throws(
      () => refuseUndecodedText({ record: { grid: 'K\uFFFDhlschrank_grid' }, source: 'the alert mail' }),
      (error: unknown) => {
        assert.ok(error instanceof IngestError);
        assert.deepEqual([error.code, error.transient, error.expose], ['HYDRASTOR_TEXT_UNDECODABLE', false, true]);
        assert.equal(
          error.message,
          'the alert mail holds text that could not be decoded (U+FFFD in grid: "K\uFFFDhlschrank_grid"): its charset is missing, wrong or unknown; nothing was loaded',
        );
        return true;
      },
    );
    refuseUndecodedText({ record: { grid: 'K\u00fchlschrank_grid' }, source: 'the alert mail' });
  });
});
