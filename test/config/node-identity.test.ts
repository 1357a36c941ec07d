import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config/load-config.js';
import { nodeIdentity, settleNodeName } from '../../src/config/node-identity.js';

describe('node identity', () => {
  it('is the configured name, else <dataRoot>/node-id, else the host name', async () => {
    const dataRoot = await mkdtemp(path.join(tmpdir(), 'dp-node-'));
    assert.deepEqual(nodeIdentity({ configured: 'ingest-1', dataRoot, sharedDataRoot: false }), { name: 'ingest-1', configured: true });
    assert.deepEqual(nodeIdentity({ configured: null, dataRoot, sharedDataRoot: false }), { name: hostname(), configured: false });
    await writeFile(path.join(dataRoot, 'node-id'), 'old-container\n');
    assert.deepEqual(
      nodeIdentity({ configured: null, dataRoot, sharedDataRoot: false }),
      { name: 'old-container', configured: false },
      'a recreated container keeps its jobs',
    );
    assert.deepEqual(
      nodeIdentity({ configured: null, dataRoot, sharedDataRoot: true }),
      { name: hostname(), configured: false },
      'a shared data root has no node-id of its own',
    );
  });

  it('is made durable at start-up: settleNodeName writes node-id once and keeps the name found there', async () => {
    const dataRoot = await mkdtemp(path.join(tmpdir(), 'dp-node-'));
    const config = loadConfig({ env: { DP_DATA_ROOT: dataRoot } });
    const settled = await settleNodeName(config);
    assert.equal(settled, config, 'nothing to change: the loader already chose the host name');
    assert.equal(await readFile(path.join(dataRoot, 'node-id'), 'utf8'), `${hostname()}\n`);

    await writeFile(path.join(dataRoot, 'node-id'), 'written-meanwhile\n');
    const racing = await settleNodeName(config);
    assert.deepEqual(racing.node, { name: 'written-meanwhile', configured: false }, 'the file wins over an earlier read');
    assert.ok(Object.isFrozen(racing) && Object.isFrozen(racing.node));

    const configured = loadConfig({ env: { DP_DATA_ROOT: path.join(dataRoot, 'elsewhere'), DP_NODE_NAME: 'ingest-1' } });
    assert.equal(await settleNodeName(configured), configured);
    await assert.rejects(readFile(path.join(dataRoot, 'elsewhere', 'node-id')), /ENOENT/, 'a configured name writes nothing');
  });
});
