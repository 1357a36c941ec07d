import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { sql } from 'kysely';
import { listJobEvents } from '../../src/db/jobs-repository.js';
import { IngestError } from '../../src/core/ingest-error.js';
import { startTestService, type TestService } from '../support/start-test-service.js';
import { waitFor } from '../support/s3-test-env.js';

describe('pipeline: accept → stage → claim → run', () => {
  let t: TestService;
  before(async () => {
    t = await startTestService({ overrides: { worker: { heartbeatSeconds: 1 }, modules: { 'test/echo': { timeoutSeconds: 4, archive: 'tar.gz' } } } });
  });
  after(async () => {
    await t?.stop();
  });

  async function rowsFor(jobId: string): Promise<number> {
    const result = await sql<{ count: string }>`SELECT count(*) FROM test_echo_rows WHERE job_id = ${jobId}`.execute(t.service.database.db);
    return Number(result.rows[0]?.count);
  }

  it('runs a job to success, in the seed folder layout, cleaning tmp/ and archiving', async () => {
    const receivedAt = new Date('2023-01-13T12:00:00Z');
    const { job, duplicate } = await t.service.accept(t.echoArrival({ rows: 3 }, { receivedAt }));
    assert.equal(duplicate, false);
    assert.equal(job.status, 'queued');
    assert.equal(job.relative_path, 'bobs_burgers/test/echo/icecream_machine/20230113_120000');
    const inbox = path.join(t.dataRoot, 'inbox', job.relative_path);
    assert.deepEqual((await readdir(inbox)).sort(), ['instruction.json', 'manifest.json']);
    const manifest = JSON.parse(await readFile(path.join(inbox, 'manifest.json'), 'utf8')) as {
      files: Array<{ name: string; sha256: string }>;
      idempotencyKey: string;
    };
    assert.equal(manifest.files[0]?.name, 'instruction.json');
    assert.match(manifest.files[0]?.sha256 ?? '', /^[0-9a-f]{64}$/);

    const done = await t.waitForStatus(job.id, ['succeeded', 'failed']);
    assert.equal(done.status, 'succeeded');
    assert.deepEqual(done.stats, { test_echo_rows: 3 });
    assert.equal(await rowsFor(job.id), 3);
    // The worker removes tmp/ right after the commit that a reader may see first.
    await waitFor('tmp/ cleaned', () => (existsSync(path.join(t.dataRoot, 'tmp', job.relative_path)) ? undefined : true), 5000);
    assert.ok(existsSync(path.join(t.dataRoot, 'archive', job.relative_path, 'original.tar.gz')), 'archived as configured');
    assert.deepEqual((await readdir(inbox)).sort(), ['instruction.json', 'manifest.json'], 'inbox/ untouched');
    const kinds = (await listJobEvents(t.service.database.db, job.id)).map((event) => event.kind);
    assert.deepEqual(kinds, ['staged', 'claimed', 'finished']);
  });

  it('gives one job for the same arrival twice, and a unique folder for a different one at the same second', async () => {
    const receivedAt = new Date('2023-02-01T00:00:00Z');
    const first = await t.service.accept(t.echoArrival({ rows: 1, tag: 'same' }, { receivedAt }));
    const second = await t.service.accept(t.echoArrival({ rows: 1, tag: 'same' }, { receivedAt }));
    assert.equal(second.duplicate, true);
    assert.equal(second.job.id, first.job.id);
    const other = await t.service.accept(t.echoArrival({ rows: 1, tag: 'other' }, { receivedAt }));
    assert.equal(other.duplicate, false);
    assert.equal(other.job.relative_path, `${first.job.relative_path}_2`);
    await t.waitForStatus(first.job.id, ['succeeded']);
    assert.equal(await rowsFor(first.job.id), 1);
    const leftovers = await readdir(path.join(t.dataRoot, 'inbox', '.incoming'));
    assert.deepEqual(leftovers, [], 'the duplicate left no folder behind');
  });

  it('gives every arrival of a burst in one second its own folder', async () => {
    const receivedAt = new Date('2023-03-03T03:03:03Z');
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, n) => t.service.accept(t.echoArrival({ rows: 0, tag: `burst-${n}` }, { receivedAt, group: 'burst' }))),
    );
    const paths = new Set(results.map(({ job }) => job.relative_path));
    assert.equal(paths.size, 30);
    assert.ok(paths.has('bobs_burgers/test/echo/burst/20230303_030303'));
    assert.ok(paths.has('bobs_burgers/test/echo/burst/20230303_030303_30'));
  });

  it('sanitizes hostile path segments so nothing escapes the data root', async () => {
    for (const group of ['../x', 'a/b', 'nul\0byte', 'x'.repeat(300), '..', '']) {
      const { job } = await t.service.accept(t.echoArrival({ rows: 0, tag: `g:${group}` }, { group }));
      const segments = job.relative_path.split('/');
      assert.equal(segments.length, 5, job.relative_path);
      for (const segment of segments) {
        assert.match(segment, /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/);
        assert.ok(Buffer.byteLength(segment) <= 100);
      }
      assert.ok(path.resolve(t.dataRoot, 'inbox', job.relative_path).startsWith(path.join(t.dataRoot, 'inbox') + path.sep));
    }
  });

  it('retries transient failures with backoff, then succeeds', async () => {
    const { job } = await t.service.accept(t.echoArrival({ rows: 2, failTransientTimes: 2 }));
    const done = await t.waitForStatus(job.id, ['succeeded', 'failed']);
    assert.equal(done.status, 'succeeded');
    assert.equal(done.attempts, 3);
    assert.equal(await rowsFor(job.id), 2);
    const kinds = (await listJobEvents(t.service.database.db, job.id)).map((event) => event.kind);
    assert.deepEqual(kinds.filter((kind) => kind === 'retry_scheduled').length, 2);
  });

  it('fails a permanent error at once, with its code and message, writing no rows', async () => {
    const { job } = await t.service.accept(t.echoArrival({ rows: 2, failPermanent: true }));
    const done = await t.waitForStatus(job.id, ['failed', 'succeeded']);
    assert.equal(done.status, 'failed');
    assert.equal(done.attempts, 1);
    assert.equal(done.error_code, 'ECHO_BAD_INPUT');
    assert.equal(done.error_message, 'planned permanent failure');
    assert.equal(await rowsFor(job.id), 0);
    assert.equal(existsSync(path.join(t.dataRoot, 'tmp', job.relative_path)), false);
  });

  it('marks a job past its deadline timed_out and commits nothing', async () => {
    const { job } = await t.service.accept(t.echoArrival({ rows: 1, sleepMs: 10_000 }));
    const done = await t.waitForStatus(job.id, ['timed_out', 'succeeded', 'failed'], 8000);
    assert.equal(done.status, 'timed_out');
    assert.equal(done.error_code, 'JOB_TIMEOUT');
    assert.equal(await rowsFor(job.id), 0);
  });

  it('stops a running job at its next checkpoint when cancelled', async () => {
    const { job } = await t.service.accept(t.echoArrival({ rows: 1, sleepMs: 3000, tag: 'cancel' }));
    await t.waitForStatus(job.id, ['running']);
    await sql`UPDATE jobs SET cancel_requested_at = now() WHERE id = ${job.id}`.execute(t.service.database.db);
    const done = await t.waitForStatus(job.id, ['cancelled', 'succeeded', 'timed_out'], 8000);
    assert.equal(done.status, 'cancelled');
    assert.equal(await rowsFor(job.id), 0);
  });

  it('keeps an arrival no module claims as unclassified, never dropped', async () => {
    const { job } = await t.service.accept({
      source: 'smtp',
      customer: 'bobs_burgers',
      hints: { subject: 'hello' },
      writeFiles: async (folder) => {
        await folder.writeFile({ name: 'message.eml', source: 'Subject: hello\r\n\r\nhi\r\n' });
      },
    });
    assert.equal(job.status, 'unclassified');
    assert.equal(job.category, 'unclassified');
    assert.ok(existsSync(path.join(t.dataRoot, 'inbox', job.relative_path, 'message.eml')));
  });

  it('classifies by module match when the transport gives no type', async () => {
    const { job } = await t.service.accept({
      source: 'smtp',
      customer: 'bobs_burgers',
      hints: { subject: '[echo] hi', group: 'grid_a' },
      writeFiles: async (folder) => {
        await folder.writeFile({ name: 'instruction.json', source: '{"rows":1}' });
      },
    });
    assert.equal(`${job.category}/${job.type}/${job.group_name}`, 'test/echo/grid_a');
    assert.equal((await t.waitForStatus(job.id, ['succeeded'])).status, 'succeeded');
  });

  it('rejects unknown customers and modules with clear errors and leaves no folder', async () => {
    await assert.rejects(
      t.service.accept(t.echoArrival({}, { customer: 'nobody' })),
      (error: unknown) => error instanceof IngestError && error.code === 'CUSTOMER_UNKNOWN',
    );
    await assert.rejects(
      t.service.accept(t.echoArrival({}, { moduleKey: 'nope/nothing' })),
      (error: unknown) => error instanceof IngestError && error.code === 'MODULE_UNKNOWN' && !error.transient,
    );
    assert.deepEqual(await readdir(path.join(t.dataRoot, 'inbox', '.incoming')), []);
  });
});
