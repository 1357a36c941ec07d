import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';

// Lints snippets as if they were files at the given paths (the files need not exist), through the
// repository's own eslint.config.js: proof that each of the design's "nevers" fails a change that breaks it.
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

async function architectureErrors(filePath: string, code: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: repoRoot });
  const [result] = await eslint.lintText(code, { filePath });
  return result!.messages.filter((m) => m.ruleId?.startsWith('architecture/')).map((m) => m.ruleId!);
}

describe('architecture rules (eslint.config.js)', function () {
  this.timeout(60_000);

  const broken: Array<{ never: string; filePath: string; code: string }> = [
    {
      never: 'core-imports-no-transport',
      filePath: 'src/pipeline/x.ts',
      code: "import { createSmtpListener } from '../smtp/smtp-server.js';\nvoid createSmtpListener;\n",
    },
    { never: 'core-imports-no-transport', filePath: 'src/pipeline/staging/x.ts', code: "export { createApp } from '../../http/create-app.js';\n" },
    {
      never: 'core-imports-no-transport',
      filePath: 'src/modules/hydrastor/alert/x.ts',
      code: "import type { Context } from 'koa';\nexport type C = Context;\n",
    },
    { never: 'transports-import-no-db', filePath: 'src/smtp/x.ts', code: "import { findJob } from '../db/jobs-repository.js';\nvoid findJob;\n" },
    {
      never: 'transports-import-no-db',
      filePath: 'src/s3events/x.ts',
      code: "import type { JobRow } from '../db/database-schema.js';\nexport type J = JobRow;\n",
    },
    { never: 'transports-import-no-db', filePath: 'src/mailhandler/x.ts', code: "import { sql } from 'kysely';\nvoid sql;\n" },
    { never: 'http-db-through-repositories', filePath: 'src/http/jobs/x.ts', code: "import { sql } from 'kysely';\nvoid sql;\n" },
    { never: 'http-db-through-repositories', filePath: 'src/http/x.ts', code: "import { openDatabase } from '../db/open-database.js';\nvoid openDatabase;\n" },
    {
      never: 'core-imports-no-transport',
      filePath: 'src/pipeline/jobs/x.ts',
      code: "import type { AlertTask } from '../../alerting/alert-task.js';\nexport type T = AlertTask;\n",
    },
    { never: 'alerting-db-through-repositories', filePath: 'src/alerting/x.ts', code: "import { sql } from 'kysely';\nvoid sql;\n" },
    {
      never: 'alerting-db-through-repositories',
      filePath: 'src/alerting/x.ts',
      code: "import { openDatabase } from '../db/open-database.js';\nvoid openDatabase;\n",
    },
    {
      never: 'modules-import-no-pipeline',
      filePath: 'src/modules/hydrastor/alert/x.ts',
      code: "import { readArchiveEntries } from '../../../pipeline/extract/extract.js';\nvoid readArchiveEntries;\n",
    },
    { never: 'nothing-imports-entry-points', filePath: 'src/pipeline/x.ts', code: "import { startService } from '../main.js';\nvoid startService;\n" },
    { never: 'nothing-imports-entry-points', filePath: 'src/x.ts', code: "export * from './cli.js';\n" },
  ];
  for (const { never, filePath, code } of broken) {
    it(`${never}: fails ${filePath} importing ${/'([^']+)'/.exec(code)![1]}`, async () => {
      assert.deepEqual(await architectureErrors(filePath, code), [`architecture/${never}`]);
    });
  }

  const allowed: Array<{ why: string; filePath: string; code: string }> = [
    {
      why: 'http/ through a repository, with types from the schema and db/',
      filePath: 'src/http/jobs/x.ts',
      code: "import { findJob } from '../../db/jobs-repository.js';\nimport type { JobRow } from '../../db/database-schema.js';\nimport type { JobListFilter } from '../../db/job-filter.js';\nimport type { Kysely } from 'kysely';\nexport type T = [JobRow, JobListFilter, Kysely<object>];\nvoid findJob;\n",
    },
    {
      why: 'a transport through the pipeline',
      filePath: 'src/smtp/x.ts',
      code: "import type { Arrival } from '../pipeline/accept.js';\nexport type A = Arrival;\n",
    },
    {
      why: 'a module through its own db/ folder and src/core',
      filePath: 'src/modules/hydrastor/alert/x.ts',
      code: "import { sql } from 'kysely';\nimport { IngestError } from '../../../core/ingest-error.js';\nexport { upsertReportedRows } from '../db/upsert-reported-rows.js';\nvoid sql;\nvoid IngestError;\n",
    },
    {
      why: 'alerting through repositories, with kysely and schema types',
      filePath: 'src/alerting/x.ts',
      code: "import type { Kysely } from 'kysely';\nimport type { Database } from '../db/database-schema.js';\nimport { listOpenConditions } from '../db/alert-conditions-repository.js';\nexport type K = Kysely<Database>;\nvoid listOpenConditions;\n",
    },
    {
      why: 'tests start the service through main.ts',
      filePath: 'test/x.test.ts',
      code: "import { startService } from '../src/main.js';\nvoid startService;\n",
    },
  ];
  for (const { why, filePath, code } of allowed) {
    it(`allows ${why} (${filePath})`, async () => {
      assert.deepEqual(await architectureErrors(filePath, code), []);
    });
  }

  it('excuses an allow-listed file from its one never only', async () => {
    const code =
      "import { listCustomers } from '../db/customers-repository.js';\nimport { startService } from '../main.js';\nvoid listCustomers;\nvoid startService;\n";
    assert.deepEqual(await architectureErrors('src/mailhandler/run-mailhandler.ts', code), ['architecture/nothing-imports-entry-points']);
    // The same import in another transport breaks the never.
    assert.deepEqual(await architectureErrors('src/s3events/reconcile.ts', code), [
      'architecture/transports-import-no-db',
      'architecture/nothing-imports-entry-points',
    ]);
  });
});
