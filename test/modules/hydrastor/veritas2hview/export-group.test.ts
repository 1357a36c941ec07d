import assert from 'node:assert/strict';
import { UNKNOWN_GRID_GROUP, exportGroup } from '../../../../src/modules/hydrastor/veritas2hview/export-group.js';

describe('exportGroup (group = grid)', () => {
  it('takes the grid segment of the upload key <customer>/<grid>/<file>', () => {
    assert.equal(exportGroup({ hints: { key: 'bobs_burgers/icecream_machine/export.tar.gz' } }), 'icecream_machine');
    assert.equal(exportGroup({ hints: { key: '/bobs_burgers//icecream_machine/export.zip' } }), 'icecream_machine');
  });

  it('falls back to "unknown" when no key names a grid', () => {
    assert.equal(exportGroup({ hints: {} }), UNKNOWN_GRID_GROUP);
    assert.equal(exportGroup({ hints: { key: 'export.tar.gz' } }), UNKNOWN_GRID_GROUP);
    assert.equal(exportGroup({ hints: { key: 'bobs_burgers/export.tar.gz' } }), UNKNOWN_GRID_GROUP);
  });
});
