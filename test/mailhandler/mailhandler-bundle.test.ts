import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFile, mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { migrateToLatest } from '../../src/db/migrate-to-latest.js';
import { findJob } from '../../src/db/jobs-repository.js';
import { ServiceDatabase } from '../support/service-database.js';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
// Inside node_modules (ignored by git) at the depth the build uses, so node_modules and
// ../../config/default.json resolve from the bundle as they do from dist/src/mailhandler/.
const TREE = path.join(REPO_ROOT, 'node_modules', '.cache', 'dp-mailhandler-bundle-test');
const BUNDLE = path.join(TREE, 'src', 'mailhandler', 'mailhandler.bundle.mjs');

function run(command: string, args: readonly string[], options: { env?: Record<string, string>; stdin?: string } = {}) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(command, args, { env: { ...process.env, ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.stdin ?? '');
  });
}

/**
 * The one-file mailhandler that `npm run build` makes (scripts/bundle-mailhandler.mjs) and
 * bin/dataprocessor.js prefers for `mailhandler`: built here the same way, then given a real
 * message against a real database. docs/benchmarks.md has what it saves per message.
 */
describe('the mailhandler bundle of the build', function () {
  this.timeout(120_000);
  let database: ServiceDatabase;

  before(async () => {
    database = await ServiceDatabase.create();
    await migrateToLatest(database.db);
    await database.addCustomer('bobs_burgers');
    await rm(TREE, { recursive: true, force: true });
    await mkdir(path.join(TREE, 'config'), { recursive: true });
    await copyFile(path.join(REPO_ROOT, 'config', 'default.json'), path.join(TREE, 'config', 'default.json'));
    const built = await run(process.execPath, [path.join(REPO_ROOT, 'scripts', 'bundle-mailhandler.mjs'), '--outfile', BUNDLE]);
    assert.equal(built.code, 0, built.stderr);
  });
  after(async () => {
    await database?.close();
    await rm(TREE, { recursive: true, force: true });
  });

  it('is one file that stores a piped message like the compiled tree does', async () => {
    const source = await readFile(BUNDLE, 'utf8');
    assert.doesNotMatch(source, /^import .* from ['"]\.\.?\//m, 'no relative imports left: every module of ours is inside');
    const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('DP_') && name !== 'DATABASE_URL'));
    const delivered = await run(
      process.execPath,
      [BUNDLE, 'mailhandler', '--sender', 'grid@bobs.example', '--recipient', 'bobs_burgers@ingest.hview.example'],
      {
        env: { ...inherited, DATABASE_URL: database.url, DP_DATA_ROOT: database.dataRoot, DP_LOG_DIR: path.join(database.dataRoot, 'log') },
        stdin: 'From: grid@bobs.example\r\nTo: bobs_burgers@ingest.hview.example\r\nSubject: bundled\r\n\r\nhello\r\n',
      },
    );
    assert.equal(delivered.code, 0, delivered.stderr);
    const id = /^2\.0\.0 Ok: queued as ([0-9a-f-]{36})\n$/.exec(delivered.stdout)?.[1];
    assert.ok(id !== undefined, delivered.stdout);
    const job = await findJob(database.db, id);
    assert.equal(job?.customer, 'bobs_burgers');
    assert.equal(job?.source, 'mailhandler');

    const refused = await run(process.execPath, [BUNDLE, 'mailhandler', '--sender', 'grid@bobs.example', '--recipient', 'nobody@ingest.hview.example'], {
      env: { ...inherited, DATABASE_URL: database.url, DP_DATA_ROOT: database.dataRoot, DP_LOG_DIR: path.join(database.dataRoot, 'log') },
      stdin: 'Subject: x\r\n\r\nx\r\n',
    });
    assert.equal(refused.code, 67, 'unknown user: the same sysexits status as the compiled tree');
  });
});
