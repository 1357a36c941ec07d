import { HeadObjectCommand } from '@aws-sdk/client-s3';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chmod, copyFile, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { builtInModules } from '../../src/modules/registry.js';
import { apiClient } from '../support/http-client.js';
import { BUCKET, startS3Emulator, waitFor, type S3Emulator } from '../support/s3-test-env.js';
import { startTestService, TEST_ADMIN_KEY, type TestService } from '../support/start-test-service.js';
import { commandsRunBy, shell, type DocCommand } from './support/doc-commands.js';

const THIS_TEST = 'test/docs/docs-curl-commands.test.ts';
const CURL = '/usr/bin/curl';
/** The hosts the docs write; the shim sends them to the test service, so the URLs stay as written. */
const DOC_HOSTS = ['localhost:25025', 'dp:25025', 'dataprocessor.example:25025'];
const SECRET = 'docs-secret-0123456789abcdef';
/** A small Veritas export, which the built-in module parses to `succeeded`. */
const FIXTURES = { 'dump.tar.gz': 'veritas2hview_small.tar.gz', 'dump.zip': 'veritas2hview_small.zip' } as const;

/**
 * Issue #15: the curl examples of docs/api.md (uploads, presign), docs/alerts.md (subscriptions)
 * and docs/object-stores.md (the jobs query), run as written with real curl against the real
 * service and fauxqs; only the placeholders are filled in. A `curl` first on PATH adds
 * `--fail-with-body` (a 4xx/5xx is a failed command) and `--connect-to` for the docs' hosts; the
 * presigned URL goes to fauxqs untouched. The presigned object is picked up by the reconciler
 * (fauxqs sends no bucket notifications), so it too ends in a job.
 */
describe('the curl commands in docs/*.md, run as written', function () {
  this.timeout(180_000);
  let env: S3Emulator;
  let t: TestService;
  let work: string;
  let shellEnv: Record<string, string>;
  let customerKey: string;
  let commands: DocCommand[];

  before(async function () {
    if (!existsSync(CURL)) {
      console.warn(`      ${CURL} is missing: the curl commands of the docs are not run`);
      this.skip();
    }
    env = await startS3Emulator();
    t = await startTestService({
      modules: builtInModules,
      overrides: {
        s3: env.settings({ reconcile: { intervalSeconds: 1, settleSeconds: 0 } }),
        uploads: { presign: { enabled: true } },
        alerts: {
          // No periodic checks during the test; the docs' webhook hosts do not exist, so one short attempt each.
          checkIntervalSeconds: 3600,
          delivery: { maxAttempts: 1, timeoutSeconds: 2 },
          // docs/alerts.md: the mail subscription "needs alerts.mail.relay" (no condition opens here, so nothing is sent).
          mail: { relay: { host: '127.0.0.1', port: 2525, secure: false, requireTls: false, username: null, password: null } },
        },
      },
    });
    const admin = apiClient(t.service.httpUrl!, TEST_ADMIN_KEY);
    const created = await admin.post('/api/1.0/api-keys', { customer: 'bobs_burgers', label: 'docs curl' });
    assert.equal(created.status, 201, created.text);
    customerKey = created.body.key;

    work = await mkdtemp(path.join(tmpdir(), 'dp-docs-curl-'));
    for (const [name, fixture] of Object.entries(FIXTURES)) await copyFile(new URL(`../fixtures/upload/${fixture}`, import.meta.url), path.join(work, name));
    const port = new URL(t.service.httpUrl!).port;
    const connectTo = DOC_HOSTS.map((host) => `--connect-to ${host}:127.0.0.1:${port}`).join(' ');
    await writeFile(path.join(work, 'curl'), `#!/bin/sh\nexec ${CURL} --fail-with-body -sS ${connectTo} "$@"\n`);
    await chmod(path.join(work, 'curl'), 0o755);
    shellEnv = { PATH: `${work}:${process.env.PATH ?? ''}`, ADMIN: TEST_ADMIN_KEY, KEY: customerKey, SECRET };
    commands = await commandsRunBy(THIS_TEST);
  });
  after(async () => {
    await t?.stop();
    await env?.stop();
    if (work !== undefined) await rm(work, { recursive: true, force: true });
  });

  function written(doc: string): string[] {
    return commands.filter((command) => command.doc === doc).map((command) => command.command);
  }

  /** Runs a command as written but for `placeholders`, checks it ended 0 (a 2xx), and returns its output parsed. */
  async function run(command: string, placeholders: Record<string, string> = {}): Promise<Record<string, unknown>> {
    let filled = command;
    for (const [placeholder, value] of Object.entries(placeholders)) filled = filled.replaceAll(placeholder, value);
    assert.doesNotMatch(filled, /<[a-z ]+>/, `${command}: a placeholder is left`);
    const result = await shell(filled, { cwd: work, env: shellEnv });
    assert.equal(result.code, 0, `${filled}\n${result.stdout}\n${result.stderr}`);
    return result.stdout.trim() === '' ? {} : (JSON.parse(result.stdout) as Record<string, unknown>);
  }

  it('docs/api.md "Uploads": the direct uploads (raw and multipart) and the presigned PUT become succeeded jobs', async () => {
    const [raw, multipart, presign, put, ...rest] = written('docs/api.md');
    assert.deepEqual(rest, [], 'four commands');
    assert.match(raw!, /--data-binary @dump\.tar\.gz/);
    assert.match(multipart!, /-F file=@dump\.zip/);
    assert.match(put!, /^curl -T dump\.tar\.gz '<url>'$/);
    const key = { '<customer key>': customerKey };

    for (const [command, file] of [
      [raw!, 'dump.tar.gz'],
      [multipart!, 'dump.zip'],
    ] as const) {
      const answer = (await run(command, key)) as { job: { id: string }; duplicate: boolean };
      assert.equal(answer.duplicate, false, command);
      const job = await t.waitForStatus(answer.job.id, ['succeeded', 'failed'], 90_000);
      assert.deepEqual(
        [job.status, job.customer, job.category, job.type, job.group_name, job.source],
        ['succeeded', 'bobs_burgers', 'hydrastor', 'veritas2hview', 'icecream_machine', 'api'],
        `${file}: ${JSON.stringify(job)}`,
      );
    }

    const bytes = (await stat(path.join(work, 'dump.tar.gz'))).size;
    const presigned = (await run(presign!, { ...key, '<bytes>': String(bytes) })) as { url: string; key: string; bucket: string; headers: unknown };
    assert.deepEqual([presigned.bucket, presigned.key], [BUCKET, 'bobs_burgers/icecream_machine/dump.tar.gz']);
    assert.deepEqual(presigned.headers, { 'Content-Length': String(bytes) }, 'the size is signed: curl -T sends exactly it');
    assert.ok(presigned.url.startsWith(`${env.server.address}/${BUCKET}/bobs_burgers/icecream_machine/dump.tar.gz?`), presigned.url);

    await run(put!, { '<url>': presigned.url });
    const object = await env.s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: presigned.key }));
    assert.equal(object.ContentLength, bytes, 'the file is in the bucket');
    // fauxqs sends no notification: the reconciler (every second here) finds the object instead.
    const job = await waitFor(
      'the job of the presigned upload',
      async () => (await t.service.database.db.selectFrom('jobs').selectAll().where('source', '=', 'reconcile').executeTakeFirst()) ?? undefined,
      30_000,
    );
    const done = await t.waitForStatus(job.id, ['succeeded', 'failed'], 90_000);
    assert.deepEqual([done.status, done.customer, done.group_name], ['succeeded', 'bobs_burgers', 'icecream_machine'], JSON.stringify(done));
  });

  it('docs/object-stores.md "MinIO": the jobs query answers the job list', async () => {
    const [query, ...rest] = written('docs/object-stores.md');
    assert.deepEqual(rest, [], 'one command');
    const answer = (await run(query!)) as { jobs: Array<{ id: string; customer: string }>; next: string | null };
    assert.equal(answer.jobs.length, 1, JSON.stringify(answer));
    assert.equal(answer.jobs[0]!.customer, 'bobs_burgers');
    assert.ok(answer.next !== null, 'limit=1 of the earlier test jobs: a next page');
  });

  it('docs/alerts.md "Subscriptions": webhook, per-customer, mail, then /test of the first', async () => {
    const [global, perCustomer, mail, test, ...rest] = written('docs/alerts.md');
    assert.deepEqual(rest, [], 'four commands');
    const first = (await run(global!)) as { id: string; channel: string; secret: string };
    assert.equal(first.channel, 'webhook');
    assert.match(first.secret, /^whsec_/, 'the generated secret, this once');
    await run(perCustomer!);
    await run(mail!);
    const tested = (await run(test!, { '<id>': first.id })) as { eventId: string; deliveries: number };
    assert.equal(tested.deliveries, 1, JSON.stringify(tested));

    const listed = await apiClient(t.service.httpUrl!, TEST_ADMIN_KEY).get('/api/1.0/alerts/subscriptions');
    const subscriptions = (listed.body.subscriptions as Array<Record<string, unknown>>).map(({ channel, customer, url, email, kinds, secretHint }) => ({
      channel,
      customer,
      target: url ?? email,
      kinds,
      secretHint,
    }));
    assert.deepEqual(
      subscriptions.sort((a, b) => String(a.target).localeCompare(String(b.target))),
      [
        {
          channel: 'webhook',
          customer: 'bobs_burgers',
          target: 'https://bobs.example/hooks/dp',
          kinds: ['job_failed', 'job_timed_out', 'silent_source'],
          secretHint: `…${SECRET.slice(-4)}`,
        },
        { channel: 'webhook', customer: null, target: 'https://hooks.example.com/dataprocessor', kinds: [], secretHint: `…${first.secret.slice(-4)}` },
        {
          channel: 'email',
          customer: null,
          target: 'storage-team@example.com',
          kinds: ['disk_low', 'spool_stuck', 'worker_stuck', 'sqs_errors'],
          secretHint: null,
        },
      ],
    );
  });
});
