import assert from 'node:assert/strict';
import { readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createTestDatabase, type TestDatabase } from './support/test-database.js';
import { makeDataRoot } from './support/test-config.js';
import { runCli, type CliRun } from './support/run-cli.js';

describe('command line: hold, release, customer disable/enable/purge', function () {
  this.timeout(240_000);
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

  it('places, lists and releases a hold', async () => {
    assert.equal((await run(['customer', 'add', 'bobs_burgers'])).code, 0);
    assert.equal((await run(['hold'])).code, 64, 'a hold must name something');
    const placed = await run(['hold', '--customer', 'bobs_burgers', '--reason', 'parser fix']);
    assert.equal(placed.code, 0, placed.stderr);
    const hold = JSON.parse(placed.stdout) as { id: string; customer: string; reason: string; createdBy: string };
    assert.deepEqual([hold.customer, hold.reason, hold.createdBy], ['bobs_burgers', 'parser fix', 'cli']);
    assert.equal((JSON.parse((await run(['hold', 'list'])).stdout) as { holds: unknown[] }).holds.length, 1);
    const released = await run(['release', hold.id]);
    assert.equal(released.code, 0, released.stderr);
    assert.equal((JSON.parse(released.stdout) as { released: number }).released, 0);
    assert.equal((await run(['release', hold.id])).code, 64);
  });

  it('purges a customer only once disabled and confirmed by its dry run', async () => {
    const file = path.join(dataRoot, 'note.txt');
    await writeFile(file, 'nothing any module claims\n');
    assert.equal((await run(['ingest', file, '--customer', 'bobs_burgers'])).code, 0);

    const enabledPlan = await run(['customer', 'purge', 'bobs_burgers']);
    assert.equal(enabledPlan.code, 0, enabledPlan.stderr);
    assert.match(enabledPlan.stderr, /disable the customer first/);
    const refused = await run(['customer', 'purge', 'bobs_burgers', '--confirm', (JSON.parse(enabledPlan.stdout) as { token: string }).token]);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /is enabled/);

    assert.deepEqual(JSON.parse((await run(['customer', 'disable', 'bobs_burgers'])).stdout), { slug: 'bobs_burgers', disabled: true });
    const plan = JSON.parse((await run(['customer', 'purge', 'bobs_burgers'])).stdout) as {
      token: string;
      rows: Record<string, number>;
      files: { inbox: { files: number } };
    };
    assert.equal(plan.rows.jobs, 1);
    assert.equal(plan.rows.customers, 1);
    assert.ok(plan.files.inbox.files >= 1);
    const purged = await run(['customer', 'purge', 'bobs_burgers', '--confirm', plan.token]);
    assert.equal(purged.code, 0, purged.stderr);
    assert.deepEqual((JSON.parse(purged.stdout) as { rows: unknown }).rows, plan.rows);
    assert.deepEqual(
      (await readdir(path.join(dataRoot, 'inbox'))).filter((name) => name !== '.incoming'),
      [],
    );
    assert.equal((await run(['customer', 'enable', 'bobs_burgers'])).code, 64, 'it is gone');
  });
});
