import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { createApiKey } from '../../../src/db/api-keys-repository.js';
import { findCustomerBySlug } from '../../../src/db/customers-repository.js';
import { startObjectJob } from '../../../src/s3events/start-object-job.js';
import { startTestService, TEST_ADMIN_KEY, type TestService } from '../../support/start-test-service.js';
import { BUCKET, FIXTURE_ARCHIVE, FIXTURE_KEY, objectJobDepsFor, startS3Emulator, veritasStubModule, type S3Emulator } from '../../support/s3-test-env.js';

describe('POST /api/1.0/veritas2hview/update (seed REST trigger)', () => {
  let env: S3Emulator;
  let t: TestService;
  let url: string;
  let archive: Buffer;
  let bobsKey: string;
  let krustyKey: string;

  before(async () => {
    env = await startS3Emulator();
    archive = await readFile(FIXTURE_ARCHIVE);
    t = await startTestService({
      modules: [veritasStubModule],
      customers: ['bobs_burgers', 'krusty_krab'],
      overrides: { worker: { enabled: false }, http: { bodyLimitBytes: 4096 }, s3: env.settings() },
    });
    url = `${t.service.httpUrl}/api/1.0/veritas2hview/update`;
    const db = t.service.database.db;
    bobsKey = (await createApiKey(db, { customerId: (await findCustomerBySlug(db, 'bobs_burgers'))!.id, label: 'bobs' })).key;
    krustyKey = (await createApiKey(db, { customerId: (await findCustomerBySlug(db, 'krusty_krab'))!.id, label: 'krusty' })).key;
    await env.upload(FIXTURE_KEY, archive);
  });
  after(async () => {
    await t?.stop();
    await env?.stop();
  });

  const seedBody = (s3Path = FIXTURE_KEY, extra: Record<string, unknown> = {}) => ({
    uid: 'user-1',
    customer: 'bobs_burgers',
    grid: 'icecream_machine',
    s3_path: s3Path,
    ...extra,
  });
  async function trigger(
    body: unknown,
    headers: Record<string, string> = {},
    key = TEST_ADMIN_KEY,
  ): Promise<{ status: number; body: any; location: string | null }> {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'X-Api-Key': key, 'Content-Type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: response.status, body: await response.json(), location: response.headers.get('location') };
  }

  it('answers 202 with the job once the object is staged, and the same job when triggered again', async () => {
    const first = await trigger(seedBody());
    assert.equal(first.status, 202, JSON.stringify(first.body));
    assert.equal(first.body.duplicate, false);
    const job = first.body.job;
    assert.deepEqual(
      [job.status, job.source, job.customer, job.category, job.type, job.group],
      ['queued', 'api', 'bobs_burgers', 'hydrastor', 'veritas2hview', 'icecream_machine'],
    );
    assert.equal(first.location, `/api/1.0/jobs/${job.id}`);
    const row = await t.waitForStatus(job.id, ['queued']);
    assert.ok((await readFile(path.join(t.dataRoot, 'inbox', row.relative_path, 'object.tar.gz'))).equals(archive));
    assert.equal((row.source_ref as Record<string, unknown>).uid, 'user-1');

    const again = await trigger({ ...seedBody(), s3_path: `/${FIXTURE_KEY}` });
    assert.deepEqual([again.status, again.body.duplicate, again.body.job.id], [202, true, job.id]);
  });

  it('gives the job its S3 notification already made (one job per upload, whichever comes first)', async () => {
    const key = 'bobs_burgers/icecream_machine/announced first.tar.gz';
    const { eTag } = await env.upload(key, archive);
    const announced = await startObjectJob(objectJobDepsFor(t, env.s3), { source: 's3', bucket: BUCKET, key, eTag, mode: 'background' });
    assert.equal(announced.kind, 'created');
    const triggered = await trigger(seedBody(key));
    assert.deepEqual([triggered.status, triggered.body.duplicate], [202, true]);
    assert.equal(triggered.body.job.id, announced.kind === 'created' ? announced.job.id : '');
  });

  it('honours Idempotency-Key: same key and body give the same job, a different body is 409', async () => {
    const headers = { 'Idempotency-Key': 'retry-42' };
    const first = await trigger(seedBody(), headers);
    assert.equal(first.status, 202);
    const replay = await trigger(seedBody(), headers);
    assert.deepEqual([replay.status, replay.body.job.id, replay.body.duplicate], [202, first.body.job.id, true]);
    const changed = await trigger(seedBody(FIXTURE_KEY, { uid: 'someone-else' }), headers);
    assert.equal(changed.status, 409);
    assert.equal(changed.body.error.code, 'CONFLICT');
    assert.equal((await trigger(seedBody(), { 'Idempotency-Key': 'bad key with spaces' })).status, 400);
  });

  it('answers 400 naming the field for a bad body', async () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ customer: 'bobs_burgers', grid: 'icecream_machine', s3_path: FIXTURE_KEY }, /^uid: /],
      [seedBody(FIXTURE_KEY, { uid: '  ' }), /^uid: /],
      [seedBody(FIXTURE_KEY, { s3_path: 42 }), /^s3_path: /],
      [seedBody(FIXTURE_KEY, { extra: true }), /^extra: /],
      [seedBody(FIXTURE_KEY, { customer: 'krusty_krab' }), /^customer: must be the customer segment of s3_path \("bobs_burgers"\)/],
      [seedBody(FIXTURE_KEY, { grid: 'other_grid' }), /^grid: /],
      ['{"uid": ', /^body: /],
    ];
    for (const [body, message] of cases) {
      const response = await trigger(body);
      assert.equal(response.status, 400, JSON.stringify(body));
      assert.match(response.body.error.message, message);
    }
  });

  it('answers 400 for paths outside the configured buckets or key layout, and for a missing object', async () => {
    for (const s3Path of [
      's3://other-bucket/bobs_burgers/icecream_machine/x.tar.gz',
      'http://169.254.169.254/latest/meta-data',
      'bobs_burgers/x.tar.gz',
      'veritas2hview/bobs_burgers/icecream_machine/x.tar.gz',
      'bobs_burgers/../etc/x.tar.gz',
    ]) {
      const response = await trigger(seedBody(s3Path));
      assert.equal(response.status, 400, s3Path);
      assert.match(response.body.error.message, /^s3_path: /, s3Path);
    }
    const missing = await trigger(seedBody('bobs_burgers/icecream_machine/never uploaded.tar.gz'));
    assert.equal(missing.status, 400);
    assert.match(missing.body.error.message, /^s3_path: no object s3:\/\/veritas2hview\/bobs_burgers\/icecream_machine\/never uploaded\.tar\.gz/);
  });

  it('lets a customer key trigger only its own customer (403 otherwise), and refuses oversized bodies with 413', async () => {
    const foreign = await trigger(seedBody(), {}, krustyKey);
    assert.equal(foreign.status, 403);
    assert.equal(foreign.body.error.code, 'FORBIDDEN');
    const own = await trigger(seedBody(), {}, bobsKey);
    assert.equal(own.status, 202);
    assert.equal((await trigger(seedBody(), {}, 'not-a-key')).status, 401);
    const huge = await trigger(seedBody(FIXTURE_KEY, { uid: 'x'.repeat(5000) }));
    assert.equal(huge.status, 413);
  });
});
