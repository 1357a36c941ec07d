import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { migrateToLatest } from '../../src/db/migrate-to-latest.js';
import { findJob } from '../../src/db/jobs-repository.js';
import { startService } from '../../src/main.js';
import { builtInModules } from '../../src/modules/registry.js';
import { CLI, freePort } from '../support/cli-service-process.js';
import { ServiceDatabase } from '../support/service-database.js';
import { makeTestConfig } from '../support/test-config.js';
import { createTestDatabase } from '../support/test-database.js';

const FIXTURES = new URL('../fixtures/email/', import.meta.url);
const DOMAIN = 'ingest.hview.example';
const SENDER = 'hydrastor@icecream-machine.example';
const QUEUED_LINE = /^2\.0\.0 Ok: queued as ([0-9a-f-]{36}(?: [0-9a-f-]{36})*)\n$/;

interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

describe('dataprocessor mailhandler (Postfix pipe(8)), through the real CLI', function () {
  this.timeout(120_000);
  let database: ServiceDatabase;
  let logDir: string;

  before(async () => {
    database = await ServiceDatabase.create();
    logDir = path.join(database.dataRoot, 'mailhandler-log');
    await migrateToLatest(database.db);
    await database.addCustomer('bobs_burgers');
    await database.addCustomer('krusty_krab');
    await database.addCustomer('locked_co', { allowedSenders: ['@icecream-machine.example'] });
    await database.addCustomer('strict_co', { allowedSenders: ['@icecream-machine.example'], requireSenderAuth: 'dmarc' });
  });
  after(async () => {
    await database?.close();
  });

  /** `node bin/dataprocessor.js mailhandler …` with `stdin` as the message, configured by its environment only. */
  function mailhandler(args: readonly string[], stdin: Buffer | string, env: Record<string, string> = {}): Promise<CliRun> {
    const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('DP_') && name !== 'DATABASE_URL'));
    const child = spawn(process.execPath, [CLI, 'mailhandler', ...args], {
      env: { ...inherited, DATABASE_URL: database.url, DP_DATA_ROOT: database.dataRoot, DP_LOG_DIR: logDir, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    // A refusal exits without reading the message, as pipe(8) allows: the write then fails with EPIPE.
    child.stdin.on('error', () => undefined);
    child.stdin.end(stdin);
    return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
  }

  const fixture = (name: string): Promise<Buffer> => readFile(new URL(name, FIXTURES));
  const jobsOf = (customer: string) =>
    database.db.selectFrom('jobs').select(['id', 'source', 'status']).where('customer', '=', customer).orderBy('received_at').execute();
  const incomingLeftovers = () => readdir(path.join(database.dataRoot, 'inbox', '.incoming')).catch(() => [] as string[]);

  it('exits 0 once the job is committed, keeps the message byte for byte with source mailhandler, and a running service runs it', async () => {
    const raw = await fixture('system_report.eml');
    const run = await mailhandler(
      ['--sender', SENDER, '--recipient', `bobs_burgers@${DOMAIN}`, '--queue-id', '4F2C81A0B3', '--client-address', '192.0.2.7'],
      raw,
    );
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stderr, '');
    const jobId = QUEUED_LINE.exec(run.stdout)?.[1];
    assert.ok(jobId !== undefined, run.stdout);

    const job = await findJob(database.db, jobId);
    assert.ok(job !== undefined);
    assert.deepEqual(
      [job.source, job.customer, job.status, `${job.category}/${job.type}/${job.group_name}`],
      ['mailhandler', 'bobs_burgers', 'queued', 'hydrastor/system_report/icecream_machine'],
    );
    assert.deepEqual(job.source_ref, {
      mailFrom: SENDER,
      rcptTo: [`bobs_burgers@${DOMAIN}`],
      via: 'postfix pipe',
      postfixQueueId: '4F2C81A0B3',
      remoteAddress: '192.0.2.7',
    });
    assert.deepEqual(await readFile(path.join(database.dataRoot, 'inbox', job.relative_path, 'message.eml')), raw, 'byte for byte as piped');
    assert.deepEqual(await readdir(logDir), ['dataprocessor_mailhandler.log'], 'no listener, worker or recovery ran');

    const again = await mailhandler(['--sender', SENDER, '--recipient', `bobs_burgers@${DOMAIN}`], raw);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(QUEUED_LINE.exec(again.stdout)?.[1], jobId, 'Postfix retried after a lost exit status: the same job');
    assert.deepEqual(await jobsOf('bobs_burgers'), [{ id: jobId, source: 'mailhandler', status: 'queued' }]);

    const service = await startService({
      config: makeTestConfig({ databaseUrl: database.url, dataRoot: database.dataRoot, overrides: { smtp: { enabled: false } } }),
      modules: builtInModules,
      logToConsole: false,
    });
    try {
      const done = await database.waitForStatus(jobId, ['succeeded', 'failed']);
      assert.equal(done.status, 'succeeded', `${done.error_code}: ${done.error_message}`);
    } finally {
      await service.stop();
    }
  });

  it('makes one job per customer for several recipients, also when pipe(8) expands ${recipient} into several arguments', async () => {
    const raw = (await fixture('unclassified.eml')).toString().replace('<lunch.1@', '<lunch.2@');
    const run = await mailhandler(['--sender', '', '--recipient', `bobs_burgers@${DOMAIN}`, `krusty_krab@${DOMAIN}`, `BOBS_BURGERS@${DOMAIN}`], raw);
    assert.equal(run.code, 0, run.stderr);
    const ids = QUEUED_LINE.exec(run.stdout)?.[1]?.split(' ') ?? [];
    assert.equal(ids.length, 2, run.stdout);
    const jobs = await Promise.all(ids.map((id) => findJob(database.db, id)));
    assert.deepEqual(
      jobs.map((job) => [job?.customer, job?.status, (job?.source_ref as { mailFrom?: unknown }).mailFrom]),
      [
        ['bobs_burgers', 'unclassified', null],
        ['krusty_krab', 'unclassified', null],
      ],
    );
  });

  it('exits 67 for an unknown recipient and 77 for a foreign domain or a sender off the allow-list, with a 5.x.x line on stderr, storing nothing', async () => {
    const raw = await fixture('alert_disk_failure.eml');
    const before = await database.db.selectFrom('jobs').select('id').execute();
    const cases: ReadonlyArray<readonly [string, readonly string[], number, RegExp]> = [
      [
        'unknown local part',
        ['--sender', SENDER, '--recipient', `nobody@${DOMAIN}`],
        67,
        /^5\.1\.1 recipient <nobody@ingest\.hview\.example> is not a known ingest address \(RECIPIENT_UNKNOWN\)\n$/,
      ],
      ['foreign domain', ['--sender', SENDER, '--recipient', 'bobs_burgers@elsewhere.example'], 77, /^5\.7\.1 relay access denied: .* \(RELAY_DENIED\)\n$/],
      [
        'sender off the allow-list',
        ['--sender', 'intruder@evil.example', '--recipient', `locked_co@${DOMAIN}`],
        77,
        /^5\.7\.1 sender <intruder@evil\.example> is not allowed .* \(SENDER_NOT_ALLOWED\)\n$/,
      ],
      ['null sender to an allow-list', ['--sender', '', '--recipient', `locked_co@${DOMAIN}`], 77, /^5\.7\.1 .*\(SENDER_NOT_ALLOWED\)\n$/],
      ['one bad recipient among good ones', ['--sender', SENDER, '--recipient', `bobs_burgers@${DOMAIN}`, '--recipient', `nobody@${DOMAIN}`], 67, /^5\.1\.1 /],
    ];
    for (const [label, args, code, line] of cases) {
      const run = await mailhandler(args, raw);
      assert.equal(run.code, code, `${label}: ${run.stderr}`);
      assert.match(run.stderr, line, label);
      assert.equal(run.stdout, '', label);
    }
    assert.deepEqual(await database.db.selectFrom('jobs').select('id').execute(), before);
    assert.deepEqual(await incomingLeftovers(), []);

    const allowed = await mailhandler(['--sender', 'ops@icecream-machine.example', '--recipient', `locked_co@${DOMAIN}`], raw);
    assert.equal(allowed.code, 0, allowed.stderr);
  });

  it('exits 77 for a customer without an allow-list under smtp.requireSenderAllowList, and for a required DMARC pass it lacks; records the verdicts', async () => {
    const strictEnv = { DP_SMTP_REQUIRE_SENDER_ALLOW_LIST: 'true' };
    const raw = (await fixture('unclassified.eml')).toString().replace('<lunch.1@', '<lunch.strict@');
    const open = await mailhandler(['--sender', SENDER, '--recipient', `bobs_burgers@${DOMAIN}`], raw, strictEnv);
    assert.equal(open.code, 77, open.stderr);
    assert.equal(
      open.stderr,
      `5.7.1 recipient <bobs_burgers@${DOMAIN}> has no sender allow-list, and this server takes mail only from listed senders (SENDER_ALLOW_LIST_MISSING)\n`,
    );
    const listed = await mailhandler(['--sender', SENDER, '--recipient', `locked_co@${DOMAIN}`], raw, strictEnv);
    assert.equal(listed.code, 0, listed.stderr);

    const configFile = path.join(database.dataRoot, 'trusted-mx.json');
    await writeFile(configFile, JSON.stringify({ smtp: { trustedAuthservIds: ['mx.hview.example'] } }));
    const withResults = (dmarc: string, id: string) =>
      `Authentication-Results: mx.hview.example; spf=pass smtp.mailfrom=icecream-machine.example; dmarc=${dmarc} header.from=icecream-machine.example\n` +
      `Authentication-Results: attacker.example; dmarc=pass\nFrom: <${SENDER}>\nSubject: strict ${id}\nMessage-ID: <${id}@test>\n\nhello\n`;
    const jobsBefore = (await jobsOf('strict_co')).length;
    const failed = await mailhandler(['--sender', SENDER, '--recipient', `strict_co@${DOMAIN}`], withResults('fail', 'f1'), { DP_CONFIG: configFile });
    assert.equal(failed.code, 77, failed.stderr);
    assert.match(
      failed.stderr,
      /^5\.7\.1 a recipient accepts only mail with a DMARC pass .*found dmarc=fail from mx\.hview\.example \(SENDER_AUTH_REQUIRED\)\n$/,
    );
    const untrusted = await mailhandler(['--sender', SENDER, '--recipient', `strict_co@${DOMAIN}`], withResults('pass', 'u1'));
    assert.equal(untrusted.code, 77, `no authserv-id trusted without the config file: ${untrusted.stderr}`);
    assert.equal((await jobsOf('strict_co')).length, jobsBefore, 'nothing stored for a refusal');
    assert.deepEqual(await incomingLeftovers(), []);

    const passed = await mailhandler(['--sender', SENDER, '--recipient', `strict_co@${DOMAIN}`], withResults('pass', 'p1'), { DP_CONFIG: configFile });
    assert.equal(passed.code, 0, passed.stderr);
    const job = await findJob(database.db, QUEUED_LINE.exec(passed.stdout)?.[1] ?? '');
    const authentication = (job?.source_ref as { authentication?: { authservId: string; spf: string; dmarc: string; headers: Array<{ trusted: boolean }> } })
      .authentication;
    assert.deepEqual(
      [authentication?.authservId, authentication?.spf, authentication?.dmarc, authentication?.headers.map((header) => header.trusted)],
      ['mx.hview.example', 'pass', 'pass', [true, false]],
    );
  });

  it('exits 65 for a message over smtp.maxMessageBytes and leaves nothing behind; a message of exactly the limit is taken', async () => {
    const limit = 2048;
    const configFile = path.join(database.dataRoot, 'small-limit.json');
    await writeFile(configFile, JSON.stringify({ smtp: { maxMessageBytes: limit } }));
    const head = `From: <${SENDER}>\nTo: <krusty_krab@${DOMAIN}>\nSubject: size test\nMessage-ID: <size.1@test>\n\n`;
    const exact = head + 'x'.repeat(limit - head.length - 1) + '\n';
    assert.equal(Buffer.byteLength(exact), limit);
    const jobsBefore = (await jobsOf('krusty_krab')).length;

    const over = await mailhandler(['--sender', SENDER, '--recipient', `krusty_krab@${DOMAIN}`], `${exact}y`, { DP_CONFIG: configFile });
    assert.equal(over.code, 65, over.stderr);
    assert.match(over.stderr, /^5\.3\.4 .*2048 bytes.*\n$/);
    assert.equal((await jobsOf('krusty_krab')).length, jobsBefore);
    assert.deepEqual(await incomingLeftovers(), []);

    const atLimit = await mailhandler(['--sender', SENDER, '--recipient', `krusty_krab@${DOMAIN}`], exact, { DP_CONFIG: configFile });
    assert.equal(atLimit.code, 0, atLimit.stderr);
  });

  it('exits 75 (defer, never bounce) when the database is unreachable or behind, the configuration is invalid, or the command line is wrong', async () => {
    const raw = await fixture('unclassified.eml');
    const envelope = ['--sender', SENDER, '--recipient', `bobs_burgers@${DOMAIN}`];
    const closedPort = await freePort();
    const unmigrated = await createTestDatabase();
    try {
      const cases: ReadonlyArray<readonly [string, readonly string[], Record<string, string>, RegExp]> = [
        [
          'database unreachable',
          envelope,
          { DATABASE_URL: `postgres://postgres@127.0.0.1:${closedPort}/postgres` },
          /^4\.3\.0 Temporary local problem, please try again later \(SYSTEM_ECONNREFUSED\)\n$/,
        ],
        ['schema behind', envelope, { DATABASE_URL: unmigrated.url }, /^4\.3\.5 the database lacks migrations 0001-core.*\(DATABASE_SCHEMA_OUTDATED\)\n$/],
        ['invalid configuration', envelope, { DP_HTTP_PORT: 'not-a-port' }, /^4\.3\.5 invalid configuration: .*http\.port.*\(CONFIG_INVALID\)\n$/],
        ['no --sender', ['--recipient', `bobs_burgers@${DOMAIN}`], {}, /^4\.3\.5 --sender is required .*\(MAILHANDLER_USAGE\)\n$/],
        ['unknown option', [...envelope, '--frobnicate', 'x'], {}, /^4\.3\.5 unknown option "--frobnicate".*\(MAILHANDLER_USAGE\)\n$/],
      ];
      for (const [label, args, env, line] of cases) {
        const run = await mailhandler(args, raw, env);
        assert.equal(run.code, 75, `${label}: ${run.stderr}`);
        assert.match(run.stderr, line, label);
      }
    } finally {
      await unmigrated.drop();
    }
    assert.deepEqual(await incomingLeftovers(), []);
  });
});
