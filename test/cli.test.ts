import assert from 'node:assert/strict';
import { rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from './support/test-database.js';
import { makeDataRoot } from './support/test-config.js';
import { runCli, type CliRun } from './support/run-cli.js';

describe('command line', function () {
  this.timeout(60_000);
  let database: TestDatabase;
  let dataRoot: string;
  before(async () => {
    database = await createTestDatabase();
    dataRoot = await makeDataRoot();
  });
  after(async () => {
    await database?.drop();
    await rm(dataRoot, { recursive: true, force: true });
  });

  function run(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
    return runCli(args, { DATABASE_URL: database.url, DP_DATA_ROOT: dataRoot, ...env });
  }

  it('prints the usage for `<command> --help` with no side effect (no data folder, no database)', async () => {
    const untouched = path.join(dataRoot, 'never-created');
    const commands = [
      ['serve'],
      ['migrate'],
      ['customer', 'add', 'x'],
      ['customer', 'purge', 'x'],
      ['hold'],
      ['release', '1'],
      ['apikey', 'create'],
      ['ingest', 'f'],
      ['purge'],
      ['mailhandler'],
    ];
    for (const command of commands) {
      const result = await run([...command, '--help'], { DP_DATA_ROOT: untouched, DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' });
      assert.equal(result.code, 0, `${command.join(' ')} --help exits 0: ${result.stderr}`);
      assert.match(result.stdout, new RegExp(`^Usage: dataprocessor ${command[0]}`), command.join(' '));
      assert.equal(result.stderr, '', command.join(' '));
    }
    await assert.rejects(stat(untouched), { code: 'ENOENT' }, 'no data folder was created');
  });
  it('migrates, adds and lists customers, and creates keys shown once', async () => {
    assert.equal((await run(['migrate'])).code, 0);
    const added = await run([
      'customer',
      'add',
      'bobs_burgers',
      '--name',
      "Bob's Burgers",
      '--address',
      'reports@bobs.example',
      '--allow-sender',
      '@bobs.example',
      '--require-sender-auth',
      'dmarc',
    ]);
    assert.equal(added.code, 0, added.stderr);
    const listed = await run(['customer', 'list']);
    assert.deepEqual(JSON.parse(listed.stdout.trim()), {
      slug: 'bobs_burgers',
      name: "Bob's Burgers",
      ingestAddresses: ['reports@bobs.example'],
      allowedSenders: ['@bobs.example'],
      requireSenderAuth: 'dmarc',
    });
    const cleared = await run(['customer', 'update', 'bobs_burgers', '--require-sender-auth', 'none']);
    assert.equal(cleared.code, 0, cleared.stderr);
    assert.equal(JSON.parse(cleared.stdout.trim()).requireSenderAuth, null);
    assert.equal((await run(['customer', 'update', 'bobs_burgers', '--require-sender-auth', 'maybe'])).code, 64);
    const key = await run(['apikey', 'create', '--customer', 'bobs_burgers', '--label', 'frontend']);
    assert.equal(key.code, 0);
    assert.match(key.stdout.trim(), /^dp_[A-Za-z0-9_-]{43}$/);
    assert.match(key.stderr, /not shown again/);
    const bad = await run(['customer', 'add', 'Bad Slug!']);
    assert.equal(bad.code, 64);
    assert.match(bad.stderr, /slug/);
    assert.equal((await run(['apikey', 'create', '--customer', 'nobody'])).code, 64);
  });

  it('ingests a local file through the pipeline and reports the job', async () => {
    const file = path.join(dataRoot, 'note.txt');
    await writeFile(file, 'nothing any module claims\n');
    const result = await run(['ingest', file, '--customer', 'bobs_burgers']);
    assert.equal(result.code, 0, result.stderr);
    const job = JSON.parse(result.stdout) as { id: string; status: string; path: string; duplicate: boolean };
    assert.equal(job.status, 'unclassified');
    assert.equal(job.duplicate, false);
    assert.match(job.path, /^inbox\/bobs_burgers\/unclassified\/cli\/none\/\d{8}_\d{6}$/);
    const again = JSON.parse((await run(['ingest', file, '--customer', 'bobs_burgers'])).stdout) as { id: string; duplicate: boolean };
    assert.deepEqual(again, { ...again, id: job.id, duplicate: true });
    const unknown = await run(['ingest', file, '--customer', 'bobs_burgers', '--type', 'nope/nothing', '--wait']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /no module "nope\/nothing"/);
  });

  it('ingests a saved mail like a delivered one and runs it to the end with --wait', async () => {
    const eml = fileURLToPath(new URL('./fixtures/email/alert_disk_failure.eml', import.meta.url));
    const result = await run(['ingest', eml, '--customer', 'bobs_burgers', '--wait']);
    assert.equal(result.code, 0, result.stderr);
    const job = JSON.parse(result.stdout) as { status: string; category: string; type: string; group: string; files: Array<{ name: string }> };
    assert.deepEqual([job.status, job.category, job.type, job.group], ['succeeded', 'hydrastor', 'alert', 'SN002']);
    assert.ok(job.files.some((file) => file.name === 'message.eml'));
  });

  it('prints usage and exits 64 on an unknown command', async () => {
    const result = await run(['frobnicate']);
    assert.equal(result.code, 64);
    assert.match(result.stderr, /unknown command 'frobnicate'[\s\S]*Usage: dataprocessor/);
  });

  // Uses the unclassified job of "ingests a local file…" above, aged by 10 days.
  it('purge --dry-run lists what retention would remove, and purge removes exactly that', async () => {
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      await client.query(`UPDATE jobs SET received_at = now() - interval '10 days' WHERE status = 'unclassified'`);
    } finally {
      await client.end();
    }
    const configFile = path.join(dataRoot, 'retention.json');
    await writeFile(configFile, JSON.stringify({ retention: { defaults: { unclassifiedDays: 7 } } }));
    const env = { DP_CONFIG: configFile };
    const dry = await run(['purge', '--dry-run', '--json'], env);
    assert.equal(dry.code, 0, dry.stderr);
    const planned = JSON.parse(dry.stdout) as { dryRun: boolean; removed: { customer: string; kind: string; count: number }[] };
    assert.equal(planned.dryRun, true);
    assert.deepEqual(
      planned.removed.map(({ customer, kind, count }) => ({ customer, kind, count })),
      [{ customer: 'bobs_burgers', kind: 'unclassified', count: 1 }],
    );
    const real = await run(['purge', '--json'], env);
    assert.equal(real.code, 0, real.stderr);
    assert.deepEqual((JSON.parse(real.stdout) as { removed: unknown }).removed, planned.removed);
    const table = await run(['purge', '--dry-run'], env);
    assert.match(table.stdout, /^purge dry run \d+: done\ncustomer/);
  });
});
