import assert from 'node:assert/strict';
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { builtInModules } from '../../src/modules/registry.js';
import { startTestService, TEST_ADMIN_KEY, type TestService } from '../support/start-test-service.js';
import { REPO_ROOT, blockCommands, shell } from './support/doc-commands.js';

const CLI = path.join(REPO_ROOT, 'bin/dataprocessor.js');

/** Every command of the README's `sh` blocks, read as the docs' are (test/docs/support/doc-commands.ts). */
async function readmeCommands(): Promise<string[]> {
  const readme = await readFile(path.join(REPO_ROOT, 'README.md'), 'utf8');
  return [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap(([, block]) => blockCommands(block!));
}

/**
 * The README's commands, run as written (issue #15: "every command in the README is run by a
 * test"): the CLI lines against the test database, the curl lines against the running service
 * with `<key>` and `<id>` filled in and `localhost:25025` pointed at it. Only the two set-up lines
 * (`npm install && …`, run by CI and the newcomer check) and `serve` (test/db/embedded-postgres) are
 * left to others.
 */
describe('the README commands, run as written', function () {
  this.timeout(240_000);
  let t: TestService;
  let work: string;

  before(async () => {
    t = await startTestService({ modules: builtInModules, customers: [], overrides: { worker: { enabled: false } } });
    work = await mkdtemp(path.join(tmpdir(), 'dp-readme-'));
    await copyFile(new URL('../fixtures/upload/veritas2hview_small.tar.gz', import.meta.url), path.join(work, 'dump.tar.gz'));
    await copyFile(new URL('../fixtures/upload/veritas2hview_small.zip', import.meta.url), path.join(work, 'dump.zip'));
  });
  after(async () => {
    await t?.stop();
    if (work !== undefined) await rm(work, { recursive: true, force: true });
  });

  it('every command succeeds', async () => {
    const commands = await readmeCommands();
    assert.ok(commands.length >= 10, commands.join('\n'));
    const env = {
      DATABASE_URL: t.database.url,
      DP_DATA_ROOT: t.dataRoot,
      DP_ADMIN_API_KEY: TEST_ADMIN_KEY,
      DP_LOG_LEVEL: 'warn',
      DP_SMTP_ENABLED: 'false',
      DP_HTTP_PORT: '0',
    };
    const host = new URL(t.service.httpUrl!).host;
    let jobId: string | undefined;
    const ran: string[] = [];
    for (const written of commands) {
      if (written.startsWith('npm install') || /^npx dataprocessor serve\b/.test(written)) continue;
      let command = written.replaceAll('npx dataprocessor', `node ${CLI}`).replaceAll('localhost:25025', host).replaceAll('<key>', TEST_ADMIN_KEY);
      if (command.includes('<id>')) {
        assert.ok(jobId !== undefined, `${written}: no job id yet`);
        command = command.replaceAll('<id>', jobId);
      }
      // curl answers 0 whatever the status: ask it for the status instead.
      if (command.startsWith('curl ')) command = command.replace(/^curl /, `curl -sS -o "$PWD/body" -w '%{http_code}' `);
      const result = await shell(command, { cwd: work, env });
      const status = command.startsWith('curl ') ? Number(result.stdout) : null;
      const body = status === null ? '' : await readFile(path.join(work, 'body'), 'utf8').catch(() => '');
      assert.equal(result.code, 0, `${written}\n${result.stdout}\n${result.stderr}`);
      if (status !== null) assert.ok(status >= 200 && status < 300, `${written} answered ${status}: ${body}`);
      jobId ??= /"id":\s*"([0-9a-f-]{36})"/.exec(result.stdout)?.[1];
      ran.push(written);
    }
    assert.ok(ran.some((command) => command.includes('ingest')) && ran.some((command) => command.includes('uploads/')), ran.join('\n'));
  });
});
