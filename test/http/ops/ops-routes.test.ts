import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Database } from '../../../src/db/database-schema.js';
import type { AppDeps } from '../../../src/http/app-deps.js';
import { createApp } from '../../../src/http/create-app.js';
import { Logging } from '../../../src/logging/logging.js';
import { checkDataRoot } from '../../../src/pipeline/check-data-root.js';
import { echoFile } from '../../support/echo-module.js';
import { startTestService, TEST_ADMIN_KEY, type TestService } from '../../support/start-test-service.js';
import { apiClient } from '../../support/http-client.js';

describe('GET /healthz, /readyz and /metrics', () => {
  let t: TestService;
  let logging: Logging;

  before(async () => {
    t = await startTestService({ customers: ['bobs_burgers'], overrides: { worker: { enabled: false } } });
    logging = new Logging({ logDir: path.join(t.dataRoot, 'log-ops'), level: 'error', console: false });
  });
  after(async () => {
    await logging?.close();
    await t?.stop();
  });

  /** The app on its own server with some dependencies replaced, to see /readyz fail for each reason. */
  async function withApp(overrides: Partial<AppDeps>, run: (base: string) => Promise<void>): Promise<void> {
    const app = createApp({
      db: t.service.database.db,
      config: t.config,
      logger: logging.for('http'),
      accept: () => Promise.reject(new Error('unused')),
      ...overrides,
    });
    const server: Server = createServer(app.callback());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      await run(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  }

  it('answers /healthz and /readyz without a key when everything is up', async () => {
    const api = apiClient(t.service.httpUrl!, null);
    assert.deepEqual((await api.get('/healthz')).body, { status: 'ok' });
    const ready = await api.get('/readyz');
    assert.equal(ready.status, 200);
    assert.equal(ready.body.status, 'ready');
    assert.equal(ready.body.checks.database.ok, true);
    assert.equal(ready.body.checks.dataRoot.ok, true);
    assert.ok(ready.body.checks.dataRoot.freeBytes > 0);
    assert.deepEqual(ready.body.checks.listeners, { ok: true, listeners: [{ name: 'smtp', up: true }] });
  });

  it('answers 503 with the reason when the database is unreachable', async () => {
    const pool = new pg.Pool({ connectionString: 'postgres://postgres@127.0.0.1:1/none', connectionTimeoutMillis: 500 });
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    try {
      await withApp({ db }, async (base) => {
        const response = await apiClient(base, null).get('/readyz');
        assert.equal(response.status, 503);
        assert.equal(response.body.status, 'not_ready');
        assert.equal(response.body.checks.database.ok, false);
        assert.equal(response.body.error.code, 'NOT_READY');
        assert.match(response.body.error.message, /^database unreachable: /);
      });
    } finally {
      await db.destroy();
    }
  });

  it('answers 503 when the data root is not writable, short of space, or a listener is down', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'dp-ready-'));
    try {
      const blocker = path.join(dir, 'a-file');
      await writeFile(blocker, 'x');
      await withApp({ config: { ...t.config, dataRoot: path.join(blocker, 'data') } }, async (base) => {
        const response = await apiClient(base, null).get('/readyz');
        assert.equal(response.status, 503);
        assert.match(response.body.error.message, /data root .* is not writable \(ENOTDIR\)/);
      });
      await withApp(
        {
          listeners: () => [
            { name: 'smtp', up: false },
            { name: 'sqs', up: true },
          ],
        },
        async (base) => {
          const response = await apiClient(base, null).get('/readyz');
          assert.equal(response.status, 503);
          assert.equal(response.body.error.message, 'not listening: smtp');
        },
      );
      const short = await checkDataRoot({ dataRoot: dir, minFreeBytes: Number.MAX_SAFE_INTEGER });
      assert.equal(short.ok, false);
      assert.match(short.reason ?? '', /bytes free under/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('serves Prometheus metrics: jobs by status and type, bytes ingested, HTTP, SMTP, SQS, durations, event-loop lag', async () => {
    const content = echoFile({ tag: 'metrics from s3' });
    await t.service.accept(t.echoArrival({ tag: 'metrics' }));
    await t.service.accept({
      ...t.echoArrival({}),
      source: 's3',
      writeFiles: async (folder) => {
        await folder.writeFile({ name: 'instruction.json', source: content });
      },
    });
    await apiClient(t.service.httpUrl!, TEST_ADMIN_KEY).get('/api/1.0/jobs');
    t.service.metrics.recordJobFinished({ category: 'test', type: 'echo', status: 'succeeded', durationSeconds: 1.5 });
    t.service.metrics.smtpReplies.inc({ code: '250' });

    const response = await fetch(`${t.service.httpUrl}/metrics`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    assert.match(text, /^dataprocessor_jobs\{status="queued",category="test",type="echo"\} 2$/m);
    assert.match(text, new RegExp(`^dataprocessor_ingested_bytes_total\\{source="s3"\\} ${Buffer.byteLength(content)}$`, 'm'));
    assert.match(text, /^dataprocessor_ingested_bytes_total\{source="api"\} \d+$/m);
    assert.match(text, /^dataprocessor_http_request_duration_seconds_count\{method="GET",route="\/api\/1\.0\/jobs",status="200"\} 1$/m);
    assert.match(text, /^dataprocessor_job_duration_seconds_count\{category="test",type="echo",status="succeeded"\} 1$/m);
    assert.match(text, /^dataprocessor_jobs_finished_total\{category="test",type="echo",status="succeeded"\} 1$/m);
    assert.match(text, /^dataprocessor_smtp_replies_total\{code="250"\} 1$/m);
    for (const name of [
      'dataprocessor_smtp_sessions_total',
      'dataprocessor_smtp_sessions_active',
      'dataprocessor_sqs_messages_received_total',
      'dataprocessor_sqs_messages_deleted_total',
      'nodejs_eventloop_lag_seconds',
      'nodejs_eventloop_lag_p99_seconds',
    ]) {
      assert.match(text, new RegExp(`^# TYPE ${name} `, 'm'), name);
    }
  });
});
