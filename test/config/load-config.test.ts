import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, loadConfig } from '../../src/config/load-config.js';

const CLI = fileURLToPath(new URL('../../bin/dataprocessor.js', import.meta.url));

describe('configuration', () => {
  it('has working defaults: the seed ports, ./data, embedded database', () => {
    const config = loadConfig({ env: {}, cwd: '/srv/dp' });
    assert.equal(config.http.port, 25025);
    assert.equal(config.smtp.port, 2525);
    assert.equal(config.dataRoot, '/srv/dp/data');
    assert.equal(config.logDir, '/srv/dp/data/log');
    assert.equal(loadConfig({ env: { DP_DATA_ROOT: '/home/mailbox' }, cwd: '/srv/dp' }).logDir, '/home/mailbox/log', 'logs follow the data root unless set');
    assert.equal(config.database.url, null);
    assert.ok(Object.isFrozen(config) && Object.isFrozen(config.worker), 'frozen');
  });

  it('layers a DP_CONFIG file, then the environment', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'dp-config-'));
    await writeFile(path.join(dir, 'config.json'), JSON.stringify({ http: { port: 8080 }, dataRoot: '/home/mailbox', worker: { concurrency: 3 } }));
    const config = loadConfig({
      env: { DP_CONFIG: 'config.json', DP_HTTP_PORT: '9090', DATABASE_URL: 'postgres://x@y/z', DP_LOG_DIR: '/var/log/hview' },
      cwd: dir,
    });
    assert.equal(config.http.port, 9090);
    assert.equal(config.dataRoot, '/home/mailbox');
    assert.equal(config.logDir, '/var/log/hview');
    assert.equal(config.worker.concurrency, 3);
    assert.equal(config.worker.leaseSeconds, 60, 'untouched keys keep their default');
    assert.equal(config.database.url, 'postgres://x@y/z');
  });

  it('names the key, its source and what is allowed for every bad value at once', () => {
    assert.throws(
      () => loadConfig({ env: { DP_HTTP_PORT: 'abc', DP_WORKER_ENABLED: 'maybe' } }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.match(error.message, /http\.port: .*number.*DP_HTTP_PORT/);
        assert.match(error.message, /worker\.enabled: .*boolean.*DP_WORKER_ENABLED/);
        return true;
      },
    );
    assert.throws(() => loadConfig({ env: { DP_HTTP_PORT: '70000' } }), /http\.port: .*65535/);
    assert.throws(() => loadConfig({ env: {}, overrides: { worker: { heartbeatSeconds: 40 } } }), /heartbeatSeconds must be at most half of leaseSeconds/);
    assert.throws(() => loadConfig({ env: {}, overrides: { htpp: {} } }), /Unrecognized key.*htpp/);
    assert.throws(() => loadConfig({ env: { DP_ADMIN_API_KEY: 'short' } }), /adminApiKey: must be at least 16 characters/);
    const route = { bucket: 'veritas2hview', category: 'hydrastor', type: 'veritas2hview' };
    assert.throws(
      () =>
        loadConfig({
          env: {},
          overrides: {
            s3: {
              routes: [
                { ...route, prefix: 'in/' },
                { ...route, type: 'other', prefix: '/in' },
              ],
            },
          },
        }),
      /s3\.routes\.1: routes 0 and 1 both map bucket "veritas2hview"/,
    );
  });

  it('resolves the values that default to other values once: node, upload limit, presign endpoint', () => {
    const defaults = loadConfig({ env: {}, cwd: '/srv/dp' });
    assert.equal(defaults.uploads.maxBytes, defaults.s3.maxObjectBytes, 'uploads take what S3 takes unless set');
    assert.equal(defaults.uploads.presign.endpoint, defaults.s3.endpoint);
    assert.equal(defaults.node.configured, false);
    assert.ok(defaults.node.name !== '' && Object.isFrozen(defaults.node));
    assert.equal('nodeName' in defaults, false, 'only the resolved node is handed out');
    const set = loadConfig({ env: { DP_NODE_NAME: 'ingest-1', DP_S3_ENDPOINT: 'http://minio:9000', DP_UPLOADS_MAX_BYTES: '1000' } });
    assert.deepEqual(set.node, { name: 'ingest-1', configured: true });
    assert.equal(set.uploads.maxBytes, 1000);
    assert.equal(set.uploads.presign.endpoint, 'http://minio:9000');
    assert.equal(
      loadConfig({ env: { DP_S3_ENDPOINT: 'http://minio:9000', DP_UPLOADS_PRESIGN_ENDPOINT: 'https://s3.example.com' } }).uploads.presign.endpoint,
      'https://s3.example.com',
    );
  });

  it('reports a missing or broken DP_CONFIG file clearly', async () => {
    assert.throws(() => loadConfig({ env: { DP_CONFIG: '/nonexistent/config.json' } }), /cannot read config file \/nonexistent\/config.json/);
    const dir = await mkdtemp(path.join(tmpdir(), 'dp-config-'));
    await writeFile(path.join(dir, 'bad.json'), '{ nope');
    assert.throws(() => loadConfig({ env: { DP_CONFIG: path.join(dir, 'bad.json') } }), /is not valid JSON/);
  });

  it('makes the CLI exit non-zero with the message, before touching anything', function () {
    this.timeout(20_000);
    const result = spawnSync(process.execPath, [CLI, 'serve'], { env: { ...process.env, DP_HTTP_PORT: 'not-a-port' }, encoding: 'utf8' });
    assert.equal(result.status, 78);
    assert.match(result.stderr, /invalid configuration:\n {2}- http\.port: .*DP_HTTP_PORT/);
  });
});
