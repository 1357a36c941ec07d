import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startFauxqs, type FauxqsServer } from 'fauxqs';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Database } from '../../src/db/database-schema.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { makeDataRoot } from '../support/test-config.js';
import { commandsRunBy, covers, docCommands, inventory, INVENTORY, REPO_ROOT, shell, type DocCommand } from './support/doc-commands.js';

const CLI = path.join(REPO_ROOT, 'bin/dataprocessor.js');
const THIS_TEST = 'test/docs/docs-commands.test.ts';
const ALERT_MAIL = fileURLToPath(new URL('../fixtures/email/alert_disk_failure.eml', import.meta.url));

async function until(done: () => boolean, why: () => string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(why());
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Issue #15: every command in the docs is run by a test, or listed in docs/commands-tested.md
 * with the reason it is not. The listing is checked both ways (a new command fails until it is
 * listed, a listed one that left the docs fails too), and the commands this file runs are run as
 * written, against a scratch database (the CLI) or fauxqs (aws-cli).
 */
describe('the commands in docs/*.md', function () {
  this.timeout(240_000);

  it(`are each run by a test or listed as not run here, with the reason (${INVENTORY})`, async () => {
    const [commands, rows] = [await docCommands(), await inventory()];
    assert.ok(commands.length > 50 && rows.length > 20, `${commands.length} commands, ${rows.length} rows`);
    const unlisted = commands.filter((command) => !rows.some((row) => covers(row, command)));
    assert.deepEqual(
      unlisted.map((command) => `${command.doc}: ${command.command.split('\n')[0]}`),
      [],
      `add these to ${INVENTORY}: run them in a test, or say why not`,
    );
    const stale = rows.filter((row) => !commands.some((command) => covers(row, command)));
    assert.deepEqual(stale, [], `${INVENTORY} lists commands no doc has any more`);
    for (const row of rows) {
      const test = /^run by `(test\/[^`]+)`/.exec(row.how)?.[1];
      if (test !== undefined) assert.ok(existsSync(path.join(REPO_ROOT, test)), `${row.pattern}: ${test} does not exist`);
      else
        assert.match(
          row.how,
          /^(run by hand \(bench\)|not run here: .{10,}|settings, checked by `test\/[^`]+`)/,
          `${row.doc} ${row.pattern}: say how it is run or why not`,
        );
    }
  });

  it('set only settings that docs/configuration.md documents (the environment lines)', async () => {
    const [commands, rows] = [await docCommands(), await inventory()];
    const configuration = await readFile(path.join(REPO_ROOT, 'docs/configuration.md'), 'utf8');
    const settings = commands.filter((command) => rows.find((row) => covers(row, command))?.how.startsWith('settings, checked by'));
    assert.ok(settings.length >= 4, settings.map((command) => command.command).join('\n'));
    for (const { doc, command } of settings) {
      for (const [name] of command.matchAll(/\bDP_[A-Z0-9_]+/g))
        assert.ok(configuration.includes(`\`${name}\``), `${doc}: ${name} is not in docs/configuration.md`);
      for (const [, name] of command.matchAll(/(?:^|\s)([A-Z][A-Z0-9_]*)=/g))
        assert.match(name!, /^(DP_|AWS_|POSTGRES_|MINIO_)/, `${doc}: ${name} is a variable nobody reads`);
    }
  });

  describe('run as written', () => {
    let database: TestDatabase;
    let db: Kysely<Database>;
    let dataRoot: string;
    let work: string;
    let env: Record<string, string>;
    let runHere: DocCommand[];

    before(async () => {
      database = await createTestDatabase();
      dataRoot = await makeDataRoot();
      work = await mkdtemp(path.join(tmpdir(), 'dp-docs-commands-'));
      db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: database.url, max: 2 }) }) });
      // `dataprocessor` on PATH, as the docs write it (npm's bin link in an installation).
      await writeFile(path.join(work, 'dataprocessor'), `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"\n`);
      await chmod(path.join(work, 'dataprocessor'), 0o755);
      env = { PATH: `${work}:${process.env.PATH ?? ''}`, DATABASE_URL: database.url, DP_DATA_ROOT: dataRoot, DP_LOG_LEVEL: 'warn' };
      runHere = await commandsRunBy(THIS_TEST);
    });
    after(async () => {
      await db?.destroy();
      await database?.drop();
      if (dataRoot !== undefined) await rm(dataRoot, { recursive: true, force: true });
      if (work !== undefined) await rm(work, { recursive: true, force: true });
    });

    async function run(command: string) {
      const result = await shell(command, { cwd: work, env });
      assert.equal(result.code, 0, `${command}\n${result.stdout}\n${result.stderr}`);
      return result;
    }

    it('docs/cli.md "Jobs" and docs/operations.md "Holding arrivals": the dataprocessor commands', async function () {
      // About 20 processes of the CLI; under the TypeScript loader on a busy machine each takes seconds.
      this.timeout(900_000);
      await run('dataprocessor customer add bobs_burgers && dataprocessor customer add krusty');
      const succeeded = (JSON.parse((await run(`dataprocessor ingest ${ALERT_MAIL} --customer bobs_burgers --wait`)).stdout) as { id: string }).id;
      await writeFile(path.join(work, 'note.txt'), 'nothing any module claims\n');
      const other = (JSON.parse((await run('dataprocessor ingest note.txt --customer bobs_burgers')).stdout) as { id: string }).id;
      // A failed job for `jobs list --status failed … | xargs … jobs retry` to find (xargs runs retry even on no input).
      await db.updateTable('jobs').set({ status: 'failed', error_code: 'MODULE_FAILED', finished_at: new Date() }).where('id', '=', other).execute();
      // A hold before the docs' two, so that theirs are 2 and 3 and `release 3` releases one of them.
      await run('dataprocessor hold --customer krusty');

      const commands = runHere.filter((command) => /^dataprocessor /.test(command.command));
      assert.ok(commands.length >= 10, commands.map((command) => command.command).join('\n'));
      const outputs = new Map<string, string>();
      for (const { command: written } of commands) {
        const command = written.replaceAll('3f0e2b9c-1d4a-4c6e-8f7b-2a9d0c1e5b6f', succeeded);
        if (command.includes('jobs tail')) continue;
        outputs.set(written, (await run(command)).stdout);
      }
      assert.match(outputs.get('dataprocessor jobs list --status failed,timed_out --customer bobs_burgers') ?? '', new RegExp(other));
      assert.match(outputs.get('dataprocessor jobs show 3f0e2b9c-1d4a-4c6e-8f7b-2a9d0c1e5b6f | jq .events') ?? '', /"staged"/);
      // Retried, then held by the docs' `hold --customer bobs_burgers`.
      assert.equal((await db.selectFrom('jobs').select('status').where('id', '=', other).executeTakeFirstOrThrow()).status, 'held');
      assert.equal((await db.selectFrom('holds').select('id').execute()).length, 2, 'three holds placed, one released');

      // `jobs tail … | jq` follows until interrupted: a job that fails meanwhile is printed. jq
      // holds its output until the end when it writes to a pipe, so only the tail is interrupted
      // (as SIGINT at a terminal would end it) and jq then flushes and ends with its input.
      const tail = commands.find((command) => command.command.includes('jobs tail'))!.command;
      const child = spawn('bash', ['-c', tail], { cwd: work, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
      let [stdout, stderr] = ['', ''];
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const closed = new Promise((resolve) => child.once('close', resolve));
      await until(
        () => stderr.includes('following'),
        () => `jobs tail did not start: ${stderr}`,
      );
      await db.updateTable('jobs').set({ status: 'failed', error_code: 'MODULE_FAILED' }).where('id', '=', succeeded).execute();
      await db.insertInto('job_events').values({ job_id: succeeded, kind: 'finished', status: 'failed', message: 'docs test' }).execute();
      await new Promise((resolve) => setTimeout(resolve, 5000));
      const children = (await readFile(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8')).trim().split(' ').map(Number);
      const cli = [];
      for (const pid of children) if ((await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).includes('dataprocessor')) cli.push(pid);
      assert.equal(cli.length, 1, `the tail among ${children.join(', ')}`);
      process.kill(cli[0]!, 'SIGINT');
      await closed;
      assert.equal(child.exitCode, 0, stderr);
      assert.match(stdout, new RegExp(`"jobId":"${succeeded}".*"status":"failed"`), `${stdout}\n${stderr}`);
    });

    it('docs/object-stores.md "Amazon S3 and SQS": the SQS set-up, with aws-cli against fauxqs', async function () {
      const aws = await shell('command -v aws', { cwd: work, env });
      if (aws.code !== 0) {
        console.warn('      aws-cli is not installed (pip install awscli): the SQS set-up of docs/object-stores.md is not run');
        this.skip();
      }
      const server: FauxqsServer = await startFauxqs({ port: 0, logger: false });
      try {
        const commands = runHere.filter(
          (command) => command.doc === 'docs/object-stores.md' && !command.command.startsWith('DP_') && !command.command.startsWith('AWS_'),
        );
        assert.ok(
          commands.some((command) => command.command.startsWith('aws sqs create-queue')),
          commands.map((command) => command.command).join('\n'),
        );
        // aws-cli v1 ignores AWS_ENDPOINT_URL: an `aws` first on PATH adds --endpoint-url, so the commands stay as written.
        const shims = path.join(work, 'aws-shim');
        await mkdir(shims, { recursive: true });
        await writeFile(path.join(shims, 'aws'), `#!/bin/sh\nexec "${aws.stdout.trim()}" --endpoint-url "${server.address}" "$@"\n`);
        await chmod(path.join(shims, 'aws'), 0o755);
        const awsEnv = { PATH: `${shims}:${env.PATH!}`, AWS_ACCESS_KEY_ID: 'docs', AWS_SECRET_ACCESS_KEY: 'docs-secret', AWS_DEFAULT_REGION: 'eu-west-1' };
        const script = commands.map((command) => command.command).join('\n');
        const result = await shell(`set -euo pipefail\n${script}`, { cwd: work, env: { ...env, ...awsEnv } });
        assert.equal(result.code, 0, `${script}\n${result.stdout}\n${result.stderr}`);
        const queue = server.inspectQueue('dataprocessor-events');
        assert.ok(queue !== undefined, 'the queue exists');
        assert.match(JSON.stringify(queue), /dataprocessor-events-dlq/, 'with its dead-letter queue');
      } finally {
        await server.stop();
      }
    });
  });
});
