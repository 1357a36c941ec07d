import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeDataRoot } from '../support/test-config.js';

const CLI = fileURLToPath(new URL('../../bin/dataprocessor.js', import.meta.url));

describe('serve with no DATABASE_URL (embedded PostgreSQL)', function () {
  this.timeout(90_000);

  it('initialises its own PostgreSQL, serves /healthz within a minute, prints an admin key once, and stops cleanly', async () => {
    const dataRoot = await makeDataRoot();
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      DP_DATA_ROOT: dataRoot,
      DP_HTTP_PORT: '0',
      DP_HTTP_HOST: '127.0.0.1',
      DP_SMTP_PORT: '0',
      DP_SMTP_HOST: '127.0.0.1',
      DP_EMBEDDED_PG_PORT: String(40000 + Math.floor(Math.random() * 10000)),
    };
    delete env.DATABASE_URL;
    delete env.DP_ADMIN_API_KEY;
    const started = Date.now();
    const child = spawn(process.execPath, [CLI, 'serve'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    let output = '';
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    try {
      let url: string | undefined;
      while (url === undefined) {
        url = /"http":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(output)?.[1];
        if (Date.now() - started > 60_000) assert.fail(`not serving within a minute:\n${output}`);
        if (child.exitCode !== null) assert.fail(`exited early:\n${output}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const health = await fetch(`${url}/healthz`);
      assert.equal(health.status, 200);
      const key = /"adminApiKey":"(dp_[A-Za-z0-9_-]+)"/.exec(output)?.[1];
      assert.ok(key !== undefined, 'the generated admin key is printed');
      assert.equal((await fetch(`${url}/api/1.0/jobs`, { headers: { 'X-Api-Key': key } })).status, 200);
      assert.ok(existsSync(path.join(dataRoot, 'pg', 'PG_VERSION')), 'the cluster lives under <dataRoot>/pg');
      // Not a terminal: stdout is all JSON lines (logFormat auto), start-up lines included.
      const stdoutLines = stdout.split('\n').filter((line) => line !== '');
      assert.ok(stdoutLines.length > 2, stdout);
      for (const line of stdoutLines) assert.doesNotThrow(() => JSON.parse(line), line);
      assert.equal(stdoutLines.filter((line) => line.includes(key)).length, 1, 'the key is shown once, on stdout');
      const logs = await readdir(path.join(dataRoot, 'log'));
      for (const file of logs) assert.ok(!(await readFile(path.join(dataRoot, 'log', file), 'utf8')).includes(key), `the key never reaches ${file}`);
    } finally {
      child.kill('SIGTERM');
    }
    assert.equal(await exited, 0);
    assert.equal(existsSync(path.join(dataRoot, 'pg', 'postmaster.pid')), false, 'the embedded server was stopped');
    await rm(dataRoot, { recursive: true, force: true });
  });
});
