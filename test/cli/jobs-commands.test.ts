import assert from 'node:assert/strict';
import { once } from 'node:events';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Database } from '../../src/db/database-schema.js';
import { findJob, listJobEvents } from '../../src/db/jobs-repository.js';
import { jobDetailView } from '../../src/http/jobs/job-view.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { makeDataRoot } from '../support/test-config.js';
import { runCli, spawnCli, type CliRun } from '../support/run-cli.js';

const ALERT_MAIL = fileURLToPath(new URL('../fixtures/email/alert_disk_failure.eml', import.meta.url));

interface JobLine {
  id: string;
  status: string;
  customer: string;
  category: string;
  type: string;
}

describe('command line: jobs list|show|retry|cancel|replay|tail', function () {
  this.timeout(240_000);
  let database: TestDatabase;
  let db: Kysely<Database>;
  let dataRoot: string;
  let succeeded: string;
  let unclassified: string;

  function run(args: string[]): Promise<CliRun> {
    return runCli(args, { DATABASE_URL: database.url, DP_DATA_ROOT: dataRoot });
  }
  async function json<T>(args: string[]): Promise<T> {
    const result = await run(args);
    assert.equal(result.code, 0, `${args.join(' ')}: ${result.stderr}`);
    return JSON.parse(result.stdout) as T;
  }

  before(async () => {
    database = await createTestDatabase();
    dataRoot = await makeDataRoot();
    db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: database.url, max: 2 }) }) });
    assert.equal((await run(['customer', 'add', 'bobs_burgers'])).code, 0);
    assert.equal((await run(['customer', 'add', 'krusty'])).code, 0);
    succeeded = (await json<{ id: string }>(['ingest', ALERT_MAIL, '--customer', 'bobs_burgers', '--wait'])).id;
    const note = path.join(dataRoot, 'note.txt');
    await writeFile(note, 'nothing any module claims\n');
    unclassified = (await json<{ id: string }>(['ingest', note, '--customer', 'bobs_burgers'])).id;
  });
  after(async () => {
    await db?.destroy();
    await database?.drop();
    await rm(dataRoot, { recursive: true, force: true });
  });

  it('lists jobs newest first, as a table or JSON lines, filtered by customer, status and type', async () => {
    const table = await run(['jobs', 'list']);
    assert.equal(table.code, 0, table.stderr);
    const lines = table.stdout.trimEnd().split('\n');
    assert.match(lines[0]!, /^id +status +customer +module +group +received +error$/);
    assert.deepEqual(
      lines.slice(1).map((line) => line.split(/ +/).slice(0, 4)),
      [
        [unclassified, 'unclassified', 'bobs_burgers', 'unclassified/cli'],
        [succeeded, 'succeeded', 'bobs_burgers', 'hydrastor/alert'],
      ],
    );

    const listed = async (...filter: string[]): Promise<JobLine[]> => {
      const result = await run(['jobs', 'list', '--json', ...filter]);
      assert.equal(result.code, 0, result.stderr);
      return result.stdout === ''
        ? []
        : result.stdout
            .trimEnd()
            .split('\n')
            .map((line) => JSON.parse(line) as JobLine);
    };
    assert.deepEqual(
      (await listed()).map((job) => job.id),
      [unclassified, succeeded],
    );
    assert.deepEqual(
      (await listed('--limit', '1')).map((job) => job.id),
      [unclassified],
    );
    assert.deepEqual(
      (await listed('--status', 'succeeded,failed')).map((job) => job.id),
      [succeeded],
    );
    assert.deepEqual(
      (await listed('--type', 'hydrastor/alert')).map((job) => job.id),
      [succeeded],
    );
    assert.deepEqual(await listed('--customer', 'krusty'), []);
    const [first] = await listed('--limit', '1');
    assert.deepEqual(Object.keys(first!), [
      'id',
      'status',
      'source',
      'customer',
      'category',
      'type',
      'group',
      'receivedAt',
      'startedAt',
      'finishedAt',
      'error',
      'stats',
    ]);

    const bad = await run(['jobs', 'list', '--status', 'done']);
    assert.equal(bad.code, 64);
    assert.match(bad.stderr, /--status: unknown status "done"/);
  });

  it('shows a job as the API does (jobDetailView), and exits 64 for an id that names no job', async () => {
    const shown = await json<unknown>(['jobs', 'show', succeeded]);
    const job = (await findJob(db, succeeded))!;
    assert.deepEqual(shown, JSON.parse(JSON.stringify(jobDetailView(job, await listJobEvents(db, succeeded)))));
    for (const id of ['not-a-uuid', '00000000-0000-4000-8000-000000000000']) {
      const missing = await run(['jobs', 'show', id]);
      assert.equal(missing.code, 64, missing.stderr);
      assert.match(missing.stderr, /no job/);
    }
  });

  it('retries a failed job and cancels a waiting one; exits 1 when the status refuses the action', async () => {
    const refused = await run(['jobs', 'retry', succeeded]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /a succeeded job cannot be retried/);

    await db.updateTable('jobs').set({ status: 'failed', error_code: 'PARSE_FAILED', error_message: 'test' }).where('id', '=', succeeded).execute();
    const retried = await json<{ job: JobLine }>(['jobs', 'retry', succeeded]);
    assert.equal(retried.job.status, 'queued');
    const events = await listJobEvents(db, succeeded);
    assert.match(events.at(-1)!.message, /sent back to the queue on request \(key cli\)/);
    await db.updateTable('jobs').set({ status: 'succeeded', error_code: null, error_message: null }).where('id', '=', succeeded).execute();

    const cancelled = await json<{ job: JobLine; cancelRequested: boolean }>(['jobs', 'cancel', unclassified]);
    assert.deepEqual([cancelled.job.status, cancelled.cancelRequested], ['cancelled', false]);
    const again = await run(['jobs', 'cancel', unclassified]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /a cancelled job cannot be cancelled/);
    assert.equal((await run(['jobs', 'retry', '00000000-0000-4000-8000-000000000000'])).code, 64);
  });

  it('replays a finished job as a new job, and refuses one that is about to run', async () => {
    const replay = await json<{ matched: number; replayed: Array<{ jobId: string; replayJobId: string; status: string }>; skipped: unknown[] }>([
      'jobs',
      'replay',
      succeeded,
    ]);
    assert.equal(replay.matched, 1);
    assert.deepEqual(replay.skipped, []);
    const [made] = replay.replayed;
    assert.equal(made?.jobId, succeeded);
    assert.notEqual(made.replayJobId, succeeded);
    assert.equal(made.status, 'queued');
    const newJob = (await findJob(db, made.replayJobId))!;
    assert.deepEqual([newJob.source, newJob.customer, newJob.category, newJob.type], ['replay', 'bobs_burgers', 'hydrastor', 'alert']);

    const queued = await run(['jobs', 'replay', made.replayJobId]);
    assert.equal(queued.code, 1);
    assert.match(queued.stderr, /a queued job is not replayed/);
    assert.equal((JSON.parse(queued.stdout) as { matched: number }).matched, 0);
  });

  it('tail prints new jobs and status changes as JSON lines, only the customer asked for, and exits 0 on SIGTERM', async () => {
    const env = { DATABASE_URL: database.url, DP_DATA_ROOT: dataRoot };
    const following = spawnCli(['jobs', 'tail', '--interval', '100', '--customer', 'krusty'], env);
    const everyone = spawnCli(['jobs', 'tail', '--interval', '100'], env);
    const output = new Map([following, everyone].map((child) => [child, { stdout: '', stderr: '' }]));
    for (const [child, text] of output) {
      child.stdout.on('data', (chunk: Buffer) => (text.stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (text.stderr += chunk.toString()));
    }
    const until = async (check: () => boolean, what: string): Promise<void> => {
      const deadline = Date.now() + 60_000;
      while (!check()) {
        assert.ok(Date.now() < deadline, `timed out waiting for ${what}: ${JSON.stringify([...output.values()])}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };
    try {
      await until(() => [...output.values()].every((text) => /following new jobs/.test(text.stderr)), 'both tails to start');
      const note = path.join(dataRoot, 'krusty.txt');
      await writeFile(note, 'krusty brand\n');
      const krustyJob = (await json<{ id: string }>(['ingest', note, '--customer', 'krusty'])).id;
      assert.equal((await run(['jobs', 'cancel', krustyJob])).code, 0);
      const bobsJob = (await json<{ id: string }>(['ingest', path.join(dataRoot, 'note.txt'), '--customer', 'bobs_burgers', '--type', 'hydrastor/alert'])).id;

      const lines = (child: typeof following) =>
        (output.get(child)?.stdout ?? '')
          .split('\n')
          .filter((line) => line !== '')
          .map((line) => JSON.parse(line) as Record<string, unknown>);
      await until(() => lines(everyone).some((line) => line.jobId === bobsJob), 'the second job in the unfiltered tail');
      await until(() => lines(following).some((line) => line.status === 'cancelled'), 'the cancel in the filtered tail');
      assert.deepEqual(
        lines(following).map(({ jobId, event, status, customer }) => ({ jobId, event, status, customer })),
        [
          { jobId: krustyJob, event: 'staged', status: 'unclassified', customer: 'krusty' },
          { jobId: krustyJob, event: 'cancelled', status: 'cancelled', customer: 'krusty' },
        ],
      );
      assert.deepEqual(Object.keys(lines(following)[0]!), ['at', 'jobId', 'event', 'status', 'message', 'customer', 'source', 'category', 'type', 'group']);
      assert.deepEqual(
        lines(everyone).map(({ jobId, status }) => `${String(jobId)} ${String(status)}`),
        [`${krustyJob} unclassified`, `${krustyJob} cancelled`, `${bobsJob} queued`],
      );
    } finally {
      for (const child of [following, everyone]) child.kill('SIGTERM');
    }
    for (const child of [following, everyone]) {
      const [code] = (await (child.exitCode === null ? once(child, 'exit') : [child.exitCode])) as [number | null];
      assert.equal(code, 0, output.get(child)?.stderr);
    }
  });
});
