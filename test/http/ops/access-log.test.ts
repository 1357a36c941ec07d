import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { startTestService, TEST_ADMIN_KEY, type TestService } from '../../support/start-test-service.js';

interface AccessLine {
  readonly message: string;
  readonly component: string;
  readonly method: string;
  readonly route: string | null;
  readonly path: string;
  readonly status: number;
  readonly durationMs: number;
  readonly keyId: string | null;
}

describe('the HTTP access log (dataprocessor_http.log)', function () {
  this.timeout(60_000);
  let t: TestService;
  before(async () => {
    t = await startTestService();
  });
  after(async () => t?.stop());

  async function accessLines(count: number): Promise<{ lines: AccessLine[]; text: string }> {
    const file = path.join(t.config.logDir, 'dataprocessor_http.log');
    const deadline = Date.now() + 10_000;
    for (;;) {
      const text = await readFile(file, 'utf8').catch(() => '');
      const lines = text
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as AccessLine)
        .filter((line) => line.message === 'request');
      if (lines.length >= count || Date.now() > deadline) return { lines, text };
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  it('writes one JSON line per request with the route template, status, duration and key id, never the key or the query', async () => {
    const base = t.service.httpUrl!;
    const job = await t.service.accept(t.echoArrival({ rows: 1 }));
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
    assert.equal((await fetch(`${base}/api/1.0/jobs?limit=5&customer=hunter2`, { headers: { 'X-Api-Key': TEST_ADMIN_KEY } })).status, 200);
    assert.equal((await fetch(`${base}/api/1.0/jobs/${job.job.id}`, { headers: { 'X-Api-Key': TEST_ADMIN_KEY } })).status, 200);
    assert.equal((await fetch(`${base}/api/1.0/jobs`, { headers: { 'X-Api-Key': 'not-a-key' } })).status, 401);

    const { lines, text } = await accessLines(4);
    assert.equal(lines.length, 4, text);
    assert.ok(lines.every((line) => line.component === 'http' && line.durationMs >= 0));
    const [health, list, detail, refused] = lines;
    assert.deepEqual([health!.route, health!.status, health!.keyId], ['/healthz', 200, null]);
    assert.equal(list!.route, '/api/1.0/jobs');
    assert.equal(list!.path, '/api/1.0/jobs');
    assert.match(list!.keyId ?? '', /.+/);
    assert.equal(detail!.route, '/api/1.0/jobs/:id');
    assert.equal(detail!.path, `/api/1.0/jobs/${job.job.id}`);
    assert.equal(detail!.keyId, list!.keyId);
    assert.deepEqual([refused!.status, refused!.keyId], [401, null]);
    assert.ok(!text.includes(TEST_ADMIN_KEY) && !text.includes('hunter2') && !text.includes('not-a-key'), 'neither keys nor query strings are logged');
  });
});
