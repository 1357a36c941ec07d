import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, spawnCliService } from '../support/cli-service-process.js';
import { ServiceDatabase } from '../support/service-database.js';
import { INGEST_DOMAIN, fixtureMessage, sendWithNodemailer } from '../support/smtp-test-helpers.js';

const PROBE = fileURLToPath(new URL('../support/loaded-packages-probe.mjs', import.meta.url));

/** The package a module file belongs to (`@aws-sdk/client-s3`, `pg`), from its path under node_modules. */
function packageOf(file: string): string | undefined {
  return /node_modules\/((?:@[^/]+\/)?[^/]+)\/[^]*$/.exec(file.split(path.sep).join('/'))?.[1];
}

// The AWS SDK costs about 25 MiB of resident memory (issue #16: peak RSS ≤ 256 MiB under SMTP
// load). An instance with no S3 feature configured must never load it.
describe('the AWS SDK loads only when an S3 feature is configured', function () {
  this.timeout(120_000);
  let database: ServiceDatabase;

  before(async () => {
    database = await ServiceDatabase.create();
  });
  after(async () => {
    await database?.close();
  });

  it('`serve` without S3 settings takes and processes a mail without ever loading an @aws-sdk package', async () => {
    const out = path.join(database.dataRoot, 'loaded-packages.json');
    const smtpPort = await freePort();
    const service = await spawnCliService({
      ...database.serviceArgs,
      smtpPort,
      workerEnabled: true,
      env: { NODE_OPTIONS: `--import ${PROBE}`, LOADED_PACKAGES_OUT: out },
    });
    try {
      await database.addCustomer('sdk_free');
      const sent = await sendWithNodemailer({
        port: smtpPort,
        from: 'hydrastor@icecream-machine.example',
        to: [`sdk_free@${INGEST_DOMAIN}`],
        raw: await fixtureMessage('system_report.eml'),
      });
      assert.equal(sent.code, 250, sent.response);
      const done = await database.waitForStatus(sent.jobIds[0]!, ['succeeded', 'failed', 'timed_out', 'cancelled', 'unclassified']);
      assert.equal(done.status, 'succeeded', `${done.error_code}: ${done.error_message}`);
    } finally {
      await service.stop();
    }
    const packages = new Set((JSON.parse(await readFile(out, 'utf8')) as string[]).map(packageOf));
    // The probe saw the service's own CommonJS dependencies: its list is not empty by accident.
    for (const expected of ['pg', 'koa', 'mailparser'])
      assert.ok(packages.has(expected), `${expected} is loaded (the probe works): ${[...packages].join(' ')}`);
    const sdk = [...packages].filter((name) => name?.startsWith('@aws-sdk/') || name?.startsWith('@smithy/'));
    assert.deepEqual(sdk, [], 'no AWS SDK package was loaded');
  });
});
