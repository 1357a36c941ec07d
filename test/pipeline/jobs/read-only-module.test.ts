import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { sql } from 'kysely';
import { listJobEvents } from '../../../src/db/jobs-repository.js';
import type { IngestModule } from '../../../src/modules/types.js';
import { echoModule } from '../../support/echo-module.js';
import { startTestService, type TestService } from '../../support/start-test-service.js';
import { startTestWorker } from '../../support/start-test-worker.js';
import type { Worker } from '../../../src/pipeline/jobs/worker.js';

/** What the read-only module saw while it ran, by job id. */
const seen = new Map<string, { workDir: string; tmpExisted: boolean }>();

/** The echo module, declared read-only; it notes its folder, and whether tmp/ held anything of the job meanwhile. */
const readOnlyEcho = {
  ...echoModule,
  type: 'echo_ro',
  readsOnly: true,
  async parse(context) {
    const jobTmp = context.workDir.replace(`${path.sep}inbox${path.sep}`, `${path.sep}tmp${path.sep}`);
    seen.set(context.jobId, { workDir: context.workDir, tmpExisted: existsSync(jobTmp) });
    return echoModule.parse(context);
  },
} satisfies IngestModule<Awaited<ReturnType<typeof echoModule.parse>>['records']>;

async function folderDigest(dir: string): Promise<Record<string, string>> {
  const digest: Record<string, string> = {};
  for (const name of (await readdir(dir)).sort()) {
    const file = path.join(dir, name);
    const { mtimeMs, mode } = await stat(file);
    digest[name] = `${createHash('sha256')
      .update(await readFile(file))
      .digest('hex')} ${mtimeMs} ${mode.toString(8)}`;
  }
  return digest;
}

describe('a module that only reads its files', function () {
  this.timeout(60_000);
  let t: TestService;
  let worker: Worker | undefined;
  beforeEach(async () => {
    seen.clear();
    t = await startTestService({ modules: [echoModule, readOnlyEcho], overrides: { worker: { enabled: false } } });
  });
  afterEach(async () => {
    await worker?.stop(5);
    worker = undefined;
    await t?.stop();
  });

  it('parses the inbox folder itself: no tmp/ folder is ever made, and the inbox is left byte for byte as it was', async () => {
    const { job } = await t.service.accept(t.echoArrival({ rows: 2, parseIssues: 1 }, { moduleKey: 'test/echo_ro' }));
    const inbox = path.join(t.dataRoot, 'inbox', job.relative_path);
    const before = await folderDigest(inbox);
    assert.ok(Object.keys(before).length >= 2, 'the instruction and the manifest');

    worker = startTestWorker(t, { modules: [echoModule, readOnlyEcho] });
    const done = await t.waitForStatus(job.id, ['succeeded', 'failed']);
    assert.equal(done.status, 'succeeded', `${done.error_code ?? ''} ${done.error_message ?? ''}`);
    assert.deepEqual(seen.get(job.id), { workDir: inbox, tmpExisted: false });
    assert.deepEqual(await folderDigest(inbox), before, 'inbox untouched');
    assert.equal(existsSync(path.join(t.dataRoot, 'tmp', job.relative_path)), false, 'no tmp folder');
    // Not even the module's parent folders: nothing of this job was ever made under tmp/.
    assert.deepEqual(await readdir(path.join(t.dataRoot, 'tmp')).catch(() => []), []);
    const rows = await sql<{ rows: string }>`SELECT count(*) AS rows FROM test_echo_rows WHERE job_id = ${job.id}`.execute(t.service.database.db);
    assert.equal(Number(rows.rows[0]?.rows), 2);
    assert.deepEqual(
      (await listJobEvents(t.service.database.db, job.id)).map((event) => event.kind),
      ['staged', 'claimed', 'finished'],
    );
  });

  it('leaves the inbox untouched when the module fails too', async () => {
    const { job } = await t.service.accept(t.echoArrival({ failPermanent: true, failAt: 'upsert' }, { moduleKey: 'test/echo_ro' }));
    const inbox = path.join(t.dataRoot, 'inbox', job.relative_path);
    const before = await folderDigest(inbox);
    worker = startTestWorker(t, { modules: [echoModule, readOnlyEcho] });
    assert.equal((await t.waitForStatus(job.id, ['succeeded', 'failed'])).status, 'failed');
    assert.deepEqual(await folderDigest(inbox), before);
    assert.deepEqual(await readdir(path.join(t.dataRoot, 'tmp')).catch(() => []), []);
  });

  it('still copies into tmp/ for a module that does not declare it (it may write there)', async () => {
    const { job } = await t.service.accept(t.echoArrival({ rows: 1, sleepMs: 1500 }));
    worker = startTestWorker(t, { modules: [echoModule, readOnlyEcho] });
    await t.waitForStatus(job.id, ['running']);
    const attempt = path.join(t.dataRoot, 'tmp', job.relative_path, 'attempt-1');
    for (let waited = 0; !existsSync(attempt) && waited < 5000; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.ok(existsSync(path.join(attempt, 'instruction.json')), 'its private copy');
    assert.equal((await t.waitForStatus(job.id, ['succeeded', 'failed'])).status, 'succeeded');
    assert.equal(existsSync(path.join(t.dataRoot, 'tmp', job.relative_path)), false, 'removed when the job ends');
  });
});
