import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kysely, Migrator, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { migrations } from '../../../migrations/index.js';
import { startService, type RunningService } from '../../../src/main.js';
import { echoModule } from '../../support/echo-module.js';
import { startTestService, TEST_ADMIN_KEY, type TestService } from '../../support/start-test-service.js';
import { makeDataRoot, makeTestConfig } from '../../support/test-config.js';
import { createTestDatabase, type TestDatabase } from '../../support/test-database.js';
import { expectCode, RawSmtpClient } from '../../support/raw-smtp-client.js';
import { apiClient, type ApiClient } from '../../support/http-client.js';

const INGEST_DOMAIN = 'ingest.hview.example';
const CLI = fileURLToPath(new URL('../../../bin/dataprocessor.js', import.meta.url));

describe('customer routes are unique: an address, +tag or S3 prefix is one customer’s', function () {
  this.timeout(60_000);
  let t: TestService;
  let api: ApiClient;

  before(async () => {
    t = await startTestService({
      customers: ['bobs_burgers', 'krusty_krab'],
      overrides: { worker: { enabled: false }, http: { rateLimit: { pointsPerSecond: 0 } } },
    });
    api = apiClient(t.service.httpUrl!, TEST_ADMIN_KEY);
    assert.equal(
      (await api.patch('/api/1.0/customers/krusty_krab', { ingestAddresses: ['Reports@Krusty.example'], s3Prefixes: ['uploads/krusty/'] })).status,
      200,
    );
  });
  after(async () => {
    await t?.stop();
  });

  const routeTaken = (response: { status: number; body: any }, field: RegExp, holder: string): void => {
    assert.equal(response.status, 409, JSON.stringify(response.body));
    assert.equal(response.body.error.code, 'ROUTE_TAKEN');
    assert.match(response.body.error.message, field);
    assert.match(response.body.error.message, new RegExp(`customer "${holder}"`));
  };

  it('answers 409 naming the holder for another customer’s address, slug address, +tag address or S3 prefix', async () => {
    routeTaken(
      await api.post('/api/1.0/customers', { slug: 'thief', ingestAddresses: ['reports@krusty.example.'] }),
      /^ingestAddresses\.0: "reports@krusty\.example"/,
      'krusty_krab',
    );
    routeTaken(
      await api.post('/api/1.0/customers', { slug: 'thief', ingestAddresses: ['ok@thief.example', `KRUSTY_KRAB@${INGEST_DOMAIN}`] }),
      /^ingestAddresses\.1: /,
      'krusty_krab',
    );
    routeTaken(
      await api.post('/api/1.0/customers', { slug: 'thief', ingestAddresses: [`alerts+krusty_krab@${INGEST_DOMAIN}`] }),
      /^ingestAddresses\.0: /,
      'krusty_krab',
    );
    routeTaken(await api.post('/api/1.0/customers', { slug: 'thief', s3Prefixes: ['/uploads/krusty'] }), /^s3Prefixes\.0: "uploads\/krusty"/, 'krusty_krab');
    routeTaken(await api.patch('/api/1.0/customers/bobs_burgers', { ingestAddresses: ['reports@krusty.example'] }), /^ingestAddresses\.0: /, 'krusty_krab');
    assert.equal((await api.get('/api/1.0/customers/thief')).status, 404, 'nothing was created');
    assert.deepEqual((await api.get('/api/1.0/customers/bobs_burgers')).body.ingestAddresses, [], 'nothing was changed');

    // A new customer whose slug address another customer already lists would take that mail.
    assert.equal((await api.patch('/api/1.0/customers/bobs_burgers', { ingestAddresses: [`newco@${INGEST_DOMAIN}`] })).status, 200);
    routeTaken(await api.post('/api/1.0/customers', { slug: 'newco' }), /^slug: mail to "newco@ingest\.hview\.example"/, 'bobs_burgers');
    // Its own addresses, the same address twice, and another domain's same local part are fine.
    const own = await api.post('/api/1.0/customers', {
      slug: 'fine_co',
      ingestAddresses: [`fine_co@${INGEST_DOMAIN}`, 'x@fine.example', 'X@fine.example', 'krusty_krab@fine.example'],
    });
    assert.equal(own.status, 201, JSON.stringify(own.body));
    assert.equal(
      (await api.patch('/api/1.0/customers/krusty_krab', { name: 'Krusty Krab', ingestAddresses: ['Reports@Krusty.example'] })).status,
      200,
      'keeping its own routes is no clash',
    );
  });

  it('lets exactly one of many concurrent creates with the same address through', async () => {
    const answers = await Promise.all(
      Array.from({ length: 12 }, (_, n) =>
        api.post('/api/1.0/customers', { slug: `racer_${n}`, ingestAddresses: ['race@racing.example'], s3Prefixes: [`race/${n}`] }),
      ),
    );
    assert.deepEqual(answers.map((answer) => answer.status).sort(), [201, ...Array<number>(11).fill(409)]);
    const { rows } = await sql<{ slug: string }>`SELECT slug FROM customers WHERE 'race@racing.example' = ANY(ingest_addresses)`.execute(t.service.database.db);
    assert.equal(rows.length, 1);
  });

  it('has the database refuse a second owner of a route whatever the code does', async () => {
    const { rows } = await sql<{ id: string }>`SELECT id FROM customers WHERE slug = 'bobs_burgers'`.execute(t.service.database.db);
    await assert.rejects(
      sql`INSERT INTO customer_routes (kind, route, customer_id) VALUES ('address', 'reports@krusty.example', ${rows[0]!.id})`.execute(t.service.database.db),
      (error: { code?: string }) => error.code === '23505',
    );
  });

  it('makes `dataprocessor customer add` refuse a taken address, naming the holder', async () => {
    const result = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [CLI, 'customer', 'add', 'cli_thief', '--address', 'REPORTS@krusty.example'], {
        env: { ...process.env, DATABASE_URL: t.database.url, DP_DATA_ROOT: t.dataRoot, DP_LOG_LEVEL: 'warn' },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      child.once('exit', (code) => resolve({ code, stderr }));
    });
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /ingestAddresses\.0: "reports@krusty\.example" is already routed to customer "krusty_krab"/);
    assert.equal((await api.get('/api/1.0/customers/cli_thief')).status, 404);
  });
});

describe('ambiguous routes written before the fix are never loaded', function () {
  this.timeout(60_000);
  let database: TestDatabase;
  let dataRoot: string;
  let service: RunningService | undefined;

  before(async () => {
    database = await createTestDatabase();
    dataRoot = await makeDataRoot();
    // The schema as it was before routes were unique, with two customers sharing routes.
    const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: database.url, max: 1 }) }) });
    try {
      const migrator = new Migrator({ db, provider: { getMigrations: async () => ({ ...migrations }) } });
      const { error } = await migrator.migrateTo('0005-veritas2hview');
      assert.equal(error, undefined);
      await sql`INSERT INTO customers (slug, name, ingest_addresses) VALUES
        ('aaa_first', 'A', ARRAY['shared@example.com', 'only-a@example.com']),
        ('bbb_second', 'B', ARRAY['Shared@Example.com']),
        ('ccc_third', 'C', ARRAY[${`ddd_fourth@${INGEST_DOMAIN}`}]),
        ('ddd_fourth', 'D', '{}')`.execute(db);
    } finally {
      await db.destroy();
    }
    const config = makeTestConfig({ databaseUrl: database.url, dataRoot, overrides: { adminApiKey: TEST_ADMIN_KEY, worker: { enabled: false } } });
    service = await startService({ config, modules: [echoModule], logToConsole: false });
  });
  after(async () => {
    await service?.stop();
    await database?.drop();
    await rm(dataRoot, { recursive: true, force: true });
  });

  it('logs which customers clash at start-up', async () => {
    const log = await readFile(path.join(service!.config.logDir, 'dataprocessor_main.log'), 'utf8');
    const clashes = log
      .split('\n')
      .filter((line) => line.includes('ambiguous route'))
      .map((line) => JSON.parse(line) as { level: string; message: string; customers: string[] });
    assert.deepEqual(
      clashes.map((entry) => [entry.level, entry.customers]),
      [
        ['error', ['aaa_first', 'bbb_second']],
        ['error', ['ccc_third', 'ddd_fourth']],
      ],
      log,
    );
    assert.match(clashes[0]!.message, /ingest address "shared@example\.com" is routed to customers "aaa_first" and "bbb_second"/);
    assert.match(clashes[1]!.message, /ingest address "ddd_fourth@ingest\.hview\.example" is routed to customers "ccc_third" and "ddd_fourth"/);
  });

  it('refuses mail to an ambiguous address for now (451) instead of picking one customer, and routes the rest', async () => {
    const { client } = await RawSmtpClient.connect(service!.smtpAddress!.port);
    try {
      expectCode(await client.command('EHLO client.test'), 250);
      expectCode(await client.command('MAIL FROM:<grid@elsewhere.example>'), 250);
      expectCode(await client.command('RCPT TO:<shared@example.com>'), 451);
      expectCode(await client.command(`RCPT TO:<ddd_fourth@${INGEST_DOMAIN}>`), 451);
      expectCode(await client.command('RCPT TO:<only-a@example.com>'), 250);
      expectCode(await client.command(`RCPT TO:<x+ddd_fourth@${INGEST_DOMAIN}>`), 250);
    } finally {
      await client.command('QUIT').catch(() => undefined);
    }
  });

  it('lets an admin resolve the clash: the holder that gives the address up is accepted, then mail routes', async () => {
    const api = apiClient(service!.httpUrl!, TEST_ADMIN_KEY);
    assert.equal((await api.patch('/api/1.0/customers/bbb_second', { ingestAddresses: [] })).status, 200);
    assert.equal((await api.patch('/api/1.0/customers/aaa_first', { name: 'A again' })).status, 200, 'the remaining holder is no longer in a clash');
    routeTaken409(await api.patch('/api/1.0/customers/bbb_second', { ingestAddresses: ['shared@example.com'] }));
  });
});

function routeTaken409(response: { status: number; body: any }): void {
  assert.equal(response.status, 409);
  assert.match(response.body.error.message, /customer "aaa_first"/);
}
