import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config/load-config.js';
import { REPO_ROOT } from './dockerfile-stages.js';

/** How the image finds its configuration: the seed's /app/config.json, over the image's own defaults. */
describe('config file lookup (the container layout)', () => {
  let app: string;
  const containerBase = path.join(REPO_ROOT, 'config/container.json');
  beforeEach(async () => {
    app = await mkdtemp(path.join(tmpdir(), 'dp-app-'));
  });
  afterEach(async () => {
    await rm(app, { recursive: true, force: true });
  });

  it('reads config.json in the working directory without any setting', async () => {
    await writeFile(path.join(app, 'config.json'), JSON.stringify({ worker: { concurrency: 7 } }));
    assert.equal(loadConfig({ env: {}, cwd: app }).worker.concurrency, 7);
  });

  it('lets the config file win over the image defaults, and the environment over both', async () => {
    await writeFile(path.join(app, 'config.json'), JSON.stringify({ smtp: { port: 25 }, logDir: '/srv/logs' }));
    const image = { DP_CONFIG_BASE: containerBase };
    const fromFile = loadConfig({ env: image, cwd: app });
    assert.equal(fromFile.smtp.port, 25, "the file's SMTP port is not overridden by the image");
    assert.equal(fromFile.logDir, '/srv/logs');
    assert.equal(fromFile.dataRoot, '/home/mailbox', 'the image default where the file says nothing');
    assert.equal(loadConfig({ env: { ...image, DP_SMTP_PORT: '2526' }, cwd: app }).smtp.port, 2526, 'an explicit variable still wins');
  });

  it('takes DP_CONFIG instead of ./config.json when set', async () => {
    await writeFile(path.join(app, 'config.json'), JSON.stringify({ worker: { concurrency: 7 } }));
    await writeFile(path.join(app, 'other.json'), JSON.stringify({ worker: { concurrency: 3 } }));
    assert.equal(loadConfig({ env: { DP_CONFIG: 'other.json' }, cwd: app }).worker.concurrency, 3);
  });

  it('names ./config.json as the source of a bad value', async () => {
    await writeFile(path.join(app, 'config.json'), JSON.stringify({ smtp: { port: 'twenty-five' } }));
    assert.throws(() => loadConfig({ env: {}, cwd: app }), /smtp\.port: .*\(set by .*config\.json\)/);
  });
});
