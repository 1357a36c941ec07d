import assert from 'node:assert/strict';
import { rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { makeDataRoot } from '../support/test-config.js';
import { runCli, type CliRun } from '../support/run-cli.js';

/** The command names listed under "Commands:" in a help text (the implicit `help` left out). */
function subcommandsIn(help: string): string[] {
  const section = /\nCommands:\n([\s\S]*?)(\n\n|$)/.exec(help)?.[1] ?? '';
  return [...section.matchAll(/^ {2}([a-z][a-z-]*)/gm)].map((match) => match[1]!).filter((name) => name !== 'help');
}

describe('command line help (src/cli.ts, src/cli/*-command(s).ts)', function () {
  this.timeout(240_000);
  let database: TestDatabase;
  let dataRoot: string;
  let env: Record<string, string>;
  before(async () => {
    database = await createTestDatabase();
    dataRoot = await makeDataRoot();
    // Each of these would show if help acted: a config file that fails to load (78), a data root
    // and a log folder that would be created, a database that would be migrated.
    const brokenConfig = path.join(dataRoot, 'broken.json');
    await writeFile(brokenConfig, '{ this is not JSON');
    env = {
      DATABASE_URL: database.url,
      DP_CONFIG: brokenConfig,
      DP_DATA_ROOT: path.join(dataRoot, 'never-created'),
      DP_LOG_DIR: path.join(dataRoot, 'never-created-logs'),
    };
  });
  after(async () => {
    await database?.drop();
    await rm(dataRoot, { recursive: true, force: true });
  });

  function run(args: string[]): Promise<CliRun> {
    return runCli(args, env);
  }

  it('prints usage and an example for --help of every command and subcommand, exits 0 and does nothing else', async () => {
    const top = await run(['--help']);
    assert.equal(top.code, 0, top.stderr);
    const commands = subcommandsIn(top.stdout);
    for (const expected of ['serve', 'migrate', 'customer', 'apikey', 'hold', 'release', 'ingest', 'jobs', 'purge', 'mailhandler']) {
      assert.ok(commands.includes(expected), `${expected} is listed in: ${commands.join(', ')}`);
    }
    const helped: string[] = [];
    const pending = commands.map((name) => [name]);
    while (pending.length > 0) {
      const command = pending.shift()!;
      const result = await run([...command, '--help']);
      assert.equal(result.code, 0, `${command.join(' ')} --help: ${result.stderr}`);
      assert.equal(result.stderr, '', command.join(' '));
      assert.match(result.stdout, new RegExp(`^Usage: dataprocessor ${command.join(' ')}\\b`), command.join(' '));
      assert.match(result.stdout, /\nExamples?( \([^)]*\))?:\n {2}(\$ )?\S/, `${command.join(' ')} --help shows an example`);
      helped.push(command.join(' '));
      pending.push(...subcommandsIn(result.stdout).map((name) => [...command, name]));
    }
    for (const expected of [
      'customer add',
      'customer update',
      'customer purge',
      'apikey revoke',
      'hold list',
      'jobs list',
      'jobs show',
      'jobs retry',
      'jobs cancel',
      'jobs replay',
      'jobs tail',
    ]) {
      assert.ok(helped.includes(expected), `${expected} --help was run`);
    }

    // The other ways to ask: -h, `help <command>`, help after arguments.
    for (const args of [
      ['customer', 'add', '-h'],
      ['help', 'jobs'],
      ['jobs', 'show', 'not-an-id', '--help'],
      ['mailhandler', '--sender', 'a@b', '--help'],
    ]) {
      const result = await run(args);
      assert.equal(result.code, 0, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stdout, /^Usage: dataprocessor /, args.join(' '));
    }

    await assert.rejects(stat(env.DP_DATA_ROOT!), { code: 'ENOENT' }, 'no data root was created');
    await assert.rejects(stat(env.DP_LOG_DIR!), { code: 'ENOENT' }, 'no log folder was created');
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      const tables = await client.query(`SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = current_schema()`);
      assert.equal(tables.rows[0].n, 0, 'the database was not migrated');
    } finally {
      await client.end();
    }
  });

  it('exits 64 on a wrong command line, with the error and a hint on stderr', async () => {
    const cases: Array<{ args: string[]; stderr: RegExp }> = [
      { args: ['frobnicate'], stderr: /unknown command 'frobnicate'[\s\S]*Usage: dataprocessor/ },
      { args: ['--frobnicate'], stderr: /unknown option '--frobnicate'/ },
      { args: ['customer'], stderr: /^Usage: dataprocessor customer/ },
      { args: ['customer', 'frobnicate'], stderr: /unknown command 'frobnicate'/ },
      { args: ['customer', 'add'], stderr: /missing required argument 'slug'[\s\S]*--help/ },
      { args: ['customer', 'add', 'x', '--frobnicate'], stderr: /unknown option '--frobnicate'/ },
      { args: ['customer', 'add', 'x', 'y'], stderr: /too many arguments/ },
      { args: ['ingest', 'file.txt'], stderr: /required option '--customer <slug>'/ },
      { args: ['jobs'], stderr: /^Usage: dataprocessor jobs/ },
      { args: ['jobs', 'list', '--limit', '0'], stderr: /--limit <n>.*invalid/ },
      { args: ['jobs', 'tail', '--interval', 'often'], stderr: /--interval <ms>.*invalid/ },
      { args: ['jobs', 'show'], stderr: /missing required argument 'id'/ },
      { args: ['release'], stderr: /missing required argument 'id'/ },
    ];
    for (const { args, stderr } of cases) {
      const result = await run(args);
      assert.equal(result.code, 64, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, stderr, args.join(' '));
      assert.equal(result.stdout, '', args.join(' '));
    }
    const bare = await run([]);
    assert.equal(bare.code, 64);
    assert.match(bare.stdout, /^Usage: dataprocessor \[options\] \[command\][\s\S]*Exit codes:/);
  });

  it('exits 78 on an invalid configuration', async () => {
    const result = await run(['customer', 'list']);
    assert.equal(result.code, 78, result.stderr);
    assert.match(result.stderr, /^dataprocessor: .*broken\.json/);
  });
});
