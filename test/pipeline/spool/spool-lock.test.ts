import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { addCustomer } from '../../../src/db/customers-repository.js';
import { findJob } from '../../../src/db/jobs-repository.js';
import { startService, type RunningService } from '../../../src/main.js';
import { INGEST_DOMAIN, sendWithNodemailer } from '../../support/smtp-test-helpers.js';
import { echoModule } from '../../support/echo-module.js';
import { makeDataRoot, makeTestConfig } from '../../support/test-config.js';
import { createTestDatabase, type TestDatabase } from '../../support/test-database.js';
import { readJobManifest } from '../../../src/db/job-manifest.js';

describe('one spool per node (PostgreSQL advisory lock)', function () {
  this.timeout(30_000);
  let database: TestDatabase;
  const dataRoots: string[] = [];
  const services: RunningService[] = [];

  before(async () => {
    database = await createTestDatabase();
  });
  after(async () => {
    for (const service of services.reverse()) await service.stop();
    for (const root of dataRoots) await rm(root, { recursive: true, force: true });
    await database?.drop();
  });

  async function start(): Promise<RunningService> {
    const dataRoot = await makeDataRoot();
    dataRoots.push(dataRoot);
    const config = makeTestConfig({ databaseUrl: database.url, dataRoot, overrides: { nodeName: 'same node', worker: { enabled: false } } });
    const service = await startService({ config, modules: [echoModule], logToConsole: false });
    services.push(service);
    return service;
  }

  it('a second instance with the same node name takes the folder path, and its mail is still durable before the 250', async () => {
    const first = await start();
    const second = await start();
    assert.ok(first.spool !== null, 'the first instance owns the spool');
    assert.equal(second.spool, null, 'the second instance must not touch the same spool');
    await addCustomer(first.database.db, { slug: 'lock_co', name: 'Lock Co' });

    const sent = await sendWithNodemailer({
      port: second.smtpAddress?.port ?? 0,
      from: 'a@example.com',
      to: [`lock_co@${INGEST_DOMAIN}`],
      raw: 'Subject: lock\r\n\r\nbody\r\n',
    });
    assert.equal(sent.code, 250, sent.response);
    const job = await findJob(second.database.db, sent.jobIds[0] ?? '');
    assert.equal(job?.status, 'unclassified', 'the folder path finishes before the 250');
    assert.equal(job === undefined ? undefined : readJobManifest(job).spool, undefined);

    // Once the owner stops, the lock is free again for the next instance.
    await first.stop();
    const third = await start();
    assert.ok(third.spool !== null, 'the lock was released at stop');
  });
});
