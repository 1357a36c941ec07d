import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { addJobEvent } from '../../../src/db/jobs-repository.js';
import { echoFile } from '../../support/echo-module.js';
import { startTestService, TEST_ADMIN_KEY, type TestService } from '../../support/start-test-service.js';
import { apiClient, type ApiClient } from '../../support/http-client.js';

describe('GET /api/1.0/jobs/:id, /files and /files/:name', () => {
  let t: TestService;
  let api: ApiClient;

  before(async () => {
    t = await startTestService({ customers: ['bobs_burgers'], overrides: { http: { rateLimit: { pointsPerSecond: 0 } } } });
    api = apiClient(t.service.httpUrl!, TEST_ADMIN_KEY);
  });
  after(async () => {
    await t?.stop();
  });

  it('shows a succeeded job with its timeline, stats, staged paths and no error', async () => {
    const { job } = await t.service.accept(t.echoArrival({ rows: 3, tag: 'ok' }, { receivedAt: new Date(Date.UTC(2023, 0, 13, 3, 0, 0)) }));
    await t.waitForStatus(job.id, ['succeeded']);
    const { status, body } = await api.get(`/api/1.0/jobs/${job.id}`);
    assert.equal(status, 200);
    assert.equal(body.status, 'succeeded');
    assert.deepEqual(body.stats, { test_echo_rows: 3 });
    assert.equal(body.error, null);
    assert.equal(body.progress, null);
    assert.equal(body.attempts, 1);
    assert.deepEqual(
      body.events.map((event: { kind: string }) => event.kind),
      ['staged', 'claimed', 'finished'],
    );
    assert.equal(body.events[2].status, 'succeeded');
    assert.deepEqual(body.paths, {
      inbox: 'inbox/bobs_burgers/test/echo/icecream_machine/20230113_030000',
      tmp: 'tmp/bobs_burgers/test/echo/icecream_machine/20230113_030000',
      archive: 'archive/bobs_burgers/test/echo/icecream_machine/20230113_030000',
    });
    assert.deepEqual(body.skippedEntries, []);
    assert.equal(body.cancelRequestedAt, null);
  });

  it('shows the error code and message of a failed job, and skipped archive entries from its timeline', async () => {
    const { job } = await t.service.accept(t.echoArrival({ failPermanent: true, tag: 'bad' }));
    await t.waitForStatus(job.id, ['failed']);
    await addJobEvent(t.service.database.db, {
      jobId: job.id,
      kind: 'extracted',
      message: '1 entry skipped',
      data: { skipped: [{ name: '../../etc/passwd', reason: 'path_escapes' }] },
    });
    const { body } = await api.get(`/api/1.0/jobs/${job.id}`);
    assert.deepEqual(body.error, { code: 'ECHO_BAD_INPUT', message: 'planned permanent failure' });
    assert.deepEqual(body.skippedEntries, [{ name: '../../etc/passwd', reason: 'path_escapes' }]);
  });

  it('shows progress while a job runs', async () => {
    const { job } = await t.service.accept(t.echoArrival({ sleepMs: 8_000, tag: 'slow' }));
    await t.waitForStatus(job.id, ['running']);
    let body: any;
    for (let tries = 0; tries < 100; tries += 1) {
      body = (await api.get(`/api/1.0/jobs/${job.id}`)).body;
      if (body.progress !== null) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(body.status, 'running');
    assert.equal(typeof body.progress.remainingMs, 'number');
    assert.ok(body.startedAt !== null);
    const cancel = await api.post(`/api/1.0/jobs/${job.id}/cancel`);
    assert.equal(cancel.status, 202);
    await t.waitForStatus(job.id, ['cancelled']);
  });

  it('lists the staged originals and downloads one byte for byte', async () => {
    const content = echoFile({ rows: 1, tag: 'download' });
    const { job } = await t.service.accept({
      ...t.echoArrival({}),
      writeFiles: async (folder) => {
        await folder.writeFile({
          name: 'instruction.json',
          source: content,
          originalName: 'ré"port\r\nX-Injected: 1.json',
          contentType: 'application/json',
          role: 'original',
        });
      },
    });
    const listed = await api.get(`/api/1.0/jobs/${job.id}/files`);
    assert.equal(listed.status, 200);
    const sha256 = createHash('sha256').update(content).digest('hex');
    assert.deepEqual(listed.body, {
      files: [
        {
          name: 'instruction.json',
          size: Buffer.byteLength(content),
          sha256,
          originalName: 'ré"port\r\nX-Injected: 1.json',
          contentType: 'application/json',
          role: 'original',
        },
      ],
    });

    const response = await fetch(`${t.service.httpUrl}/api/1.0/jobs/${job.id}/files/instruction.json`, { headers: { 'X-Api-Key': TEST_ADMIN_KEY } });
    assert.equal(response.status, 200);
    assert.equal(Buffer.from(await response.arrayBuffer()).toString('utf8'), content);
    assert.equal(response.headers.get('content-type'), 'application/octet-stream', 'never rendered, whatever the recorded type');
    assert.equal(response.headers.get('x-content-sha256'), sha256);
    assert.equal(response.headers.get('content-length'), String(Buffer.byteLength(content)));
    assert.equal(response.headers.get('x-injected'), null);
    assert.equal(
      response.headers.get('content-disposition'),
      `attachment; filename="r__port__X-Injected_ 1.json"; filename*=UTF-8''r%C3%A9%22port%0D%0AX-Injected%3A%201.json`,
    );
  });

  it('serves only files listed in the manifest: 404 for anything else', async () => {
    const { job } = await t.service.accept(t.echoArrival({ tag: 'guarded' }));
    for (const name of ['manifest.json', 'nope.txt', '..%2F..%2F..%2Fetc%2Fpasswd', '%2E%2E%2Fmanifest.json', 'INSTRUCTION.JSON']) {
      const response = await api.get(`/api/1.0/jobs/${job.id}/files/${name}`);
      assert.equal(response.status, 404, name);
      assert.equal(response.body.error.code, 'NOT_FOUND', name);
    }
    // A NUL is refused before any lookup, like in every other parameter (test/http/nul-characters.test.ts).
    const withNul = await api.get(`/api/1.0/jobs/${job.id}/files/instruction.json%00`);
    assert.equal(withNul.status, 400);
    assert.match(withNul.body.error.message, /^name: must not contain a NUL/);
    assert.equal((await api.get('/api/1.0/jobs/00000000-0000-4000-8000-000000000000/files')).status, 404);
    assert.equal((await api.get('/api/1.0/jobs/00000000-0000-4000-8000-000000000000/files/instruction.json')).status, 404);
  });

  it('answers 404 (not 500) when a listed original is gone from this node', async () => {
    const { job } = await t.service.accept(t.echoArrival({ tag: 'gone' }));
    await rm(path.join(t.dataRoot, 'inbox', job.relative_path, 'instruction.json'));
    const response = await api.get(`/api/1.0/jobs/${job.id}/files/instruction.json`);
    assert.equal(response.status, 404);
    assert.equal(response.body.error.message, 'file not found on this node (another node staged it, or retention removed it)');
  });
});
