import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, readdir, stat, utimes } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import type { JobRow, JobStatus } from '../../src/db/database-schema.js';
import { findJob } from '../../src/db/jobs-repository.js';
import type { HydrastorTables } from '../../src/modules/hydrastor/db-schema.js';
import { ABANDONED_AFTER_SECONDS } from '../../src/pipeline/staging/recover-staging.js';
import { hydrastorDb, hydrastorState, startHydrastorService } from '../modules/hydrastor/support/hydrastor-test-service.js';
import type { TestService } from '../support/start-test-service.js';
import { ServiceDatabase } from '../support/service-database.js';
import { attachmentCsv } from '../support/report-attachment-csv.js';
import { EMAIL_FIXTURES, INGEST_DOMAIN, fixtureMessage, jobIdsIn, sendWithNodemailer, toWire } from '../support/smtp-test-helpers.js';
import { RawSmtpClient } from '../support/raw-smtp-client.js';
import { freePort, spawnCliService } from '../support/cli-service-process.js';

const SENDER = 'hydrastor@icecream-machine.example';
const GRID = 'icecream_machine';
const SERIAL = '8A5-000123';
const ENDED: readonly JobStatus[] = ['succeeded', 'failed', 'timed_out', 'cancelled', 'unclassified'];
const GIB = 2n ** 30n;
const CUSTOMERS = ['fx_report', 'fx_zip', 'fx_body', 'fx_alert', 'fx_grid_alert', 'fx_other', 'fx_twice', 'fx_swaks'];

const run = promisify(execFile);

describe('HYDRAstor fixtures over SMTP, end to end (real service, built-in modules, worker on)', function () {
  this.timeout(60_000);
  let t: TestService;
  let port: number;

  before(async () => {
    t = await startHydrastorService(CUSTOMERS, { smtp: { customerCacheSeconds: 0 } });
    assert.ok(t.service.smtpAddress !== null);
    port = t.service.smtpAddress.port;
  });
  after(async () => {
    await t?.stop();
  });

  /** Sends a fixture as raw bytes with the envelope set, and waits for its job to end. */
  async function deliver(customer: string, fixture: string): Promise<JobRow> {
    const sent = await sendWithNodemailer({ port, from: SENDER, to: [`${customer}@${INGEST_DOMAIN}`], raw: await fixtureMessage(fixture) });
    assert.equal(sent.code, 250, `${fixture}: ${sent.response}`);
    assert.equal(sent.jobIds.length, 1, sent.response);
    const done = await t.waitForStatus(sent.jobIds[0]!, ENDED);
    if (done.status !== 'unclassified') assert.equal(done.status, 'succeeded', `${fixture}: ${done.error_code}: ${done.error_message}`);
    return done;
  }

  const db = () => hydrastorDb(t);
  const gridOf = (customer: string) => db().selectFrom('hydrastor_grids').selectAll().where('customer', '=', customer).executeTakeFirstOrThrow();
  const snapshotsOf = (gridId: string) =>
    db().selectFrom('hydrastor_capacity_snapshots').selectAll().where('grid_id', '=', gridId).orderBy('report_time').execute();
  const nodesOf = (gridId: string) => db().selectFrom('hydrastor_nodes').selectAll().where('grid_id', '=', gridId).orderBy('node_name').execute();
  const alertsOf = (gridId: string) => db().selectFrom('hydrastor_alerts').selectAll().where('grid_id', '=', gridId).orderBy('id').execute();

  /** The snapshot row against capacity.csv: bytes exactly, the ratio as a number, the report time as an instant. */
  function assertSnapshotIs(row: Awaited<ReturnType<typeof snapshotsOf>>[number] | undefined, csv: Record<string, string> | undefined): void {
    assert.ok(row !== undefined && csv !== undefined);
    assert.deepEqual(
      {
        at: row.report_time,
        total: row.physical_total_bytes,
        used: row.physical_used_bytes,
        free: row.physical_free_bytes,
        logical: row.logical_used_bytes,
        ratio: Number(row.dedupe_ratio),
        source: row.source,
      },
      {
        at: new Date(csv['report_time']!),
        total: csv['physical_total_bytes'],
        used: csv['physical_used_bytes'],
        free: csv['physical_free_bytes'],
        logical: csv['logical_used_bytes'],
        ratio: Number(csv['dedupe_ratio']),
        source: 'attachment',
      },
    );
  }

  it('system_report.eml: grid, 5 nodes, capacity, file systems, replication and the active alert, equal to its attachment CSVs', async () => {
    const done = await deliver('fx_report', 'system_report.eml');
    assert.equal(`${done.category}/${done.type}/${done.group_name}`, `hydrastor/system_report/${GRID}`);
    const grid = await gridOf('fx_report');
    const [system] = await attachmentCsv('system_report.eml', 'system.csv');
    assert.deepEqual([grid.serial_number, grid.name, grid.timezone], [system?.['serial_number'], system?.['system_name'], system?.['timezone']]);
    assert.deepEqual([grid.serial_number, grid.name], [SERIAL, GRID]);

    const [snapshot, ...more] = await snapshotsOf(grid.id);
    assert.equal(more.length, 0);
    assertSnapshotIs(snapshot, (await attachmentCsv('system_report.eml', 'capacity.csv'))[0]);

    const nodesCsv = await attachmentCsv('system_report.eml', 'nodes.csv');
    assert.equal(nodesCsv.length, 5);
    assert.deepEqual(
      (await nodesOf(grid.id)).map((node) => [node.node_name, node.node_type, node.status, node.ip_address, node.disks_ok, node.disks_total]),
      nodesCsv
        .map((node) => [node['node_name'], node['node_type'], node['status'], node['ip_address'], Number(node['disks_ok']), Number(node['disks_total'])])
        .sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
    );
    const filesystems = await db()
      .selectFrom('hydrastor_filesystems')
      .select(['fs_name', 'logical_used_bytes'])
      .where('grid_id', '=', grid.id)
      .orderBy('fs_name')
      .execute();
    assert.deepEqual(
      filesystems.map((fs) => [fs.fs_name, fs.logical_used_bytes]),
      (await attachmentCsv('system_report.eml', 'filesystems.csv')).map((fs) => [fs['fs_name'], fs['logical_used_bytes']]),
    );
    const replications = await db().selectFrom('hydrastor_replications').select(['source_fs', 'target_serial']).where('grid_id', '=', grid.id).execute();
    assert.deepEqual(
      replications.map((pair) => [pair.source_fs, pair.target_serial]),
      (await attachmentCsv('system_report.eml', 'replication.csv')).map((pair) => [pair['source_fs'], pair['target_serial']]),
    );
    const active = await db().selectFrom('hydrastor_active_alerts').select(['event_id', 'node_name', 'message']).where('grid_id', '=', grid.id).execute();
    assert.deepEqual(
      active.map((alert) => [alert.event_id, alert.node_name, alert.message]),
      (await attachmentCsv('system_report.eml', 'alerts_active.csv')).map((alert) => [alert['event_id'], alert['node_name'], alert['message']]),
    );
  });

  it("system_report_zip.eml (the next day's .zip): a second capacity snapshot, equal to the zip's capacity.csv", async () => {
    await deliver('fx_zip', 'system_report.eml');
    const done = await deliver('fx_zip', 'system_report_zip.eml');
    assert.equal(done.group_name, GRID);
    const grid = await gridOf('fx_zip');
    const snapshots = await snapshotsOf(grid.id);
    assert.equal(snapshots.length, 2);
    assertSnapshotIs(snapshots[0], (await attachmentCsv('system_report.eml', 'capacity.csv'))[0]);
    assertSnapshotIs(snapshots[1], (await attachmentCsv('system_report_zip.eml', 'capacity.csv'))[0]);
    assert.deepEqual(grid.last_report_time, snapshots[1]?.report_time);
    const zipNodes = await attachmentCsv('system_report_zip.eml', 'nodes.csv');
    assert.deepEqual(
      (await nodesOf(grid.id)).map((node) => [node.node_name, node.status, node.last_job_id]),
      zipNodes.map((node) => [node['node_name'], node['status'], done.id]),
    );
  });

  it('system_report_body_only.eml: the same facts read from the body alone', async () => {
    const done = await deliver('fx_body', 'system_report_body_only.eml');
    assert.equal(`${done.category}/${done.type}/${done.group_name}`, `hydrastor/system_report/${GRID}`);
    const body = await readFile(new URL('system_report_body_only.eml', EMAIL_FIXTURES), 'utf8');
    const totalGib = /Physical Capacity Total \(GiB\) : (\d+)\.00/.exec(body)?.[1];
    const ratio = /Deduplication Ratio +: ([\d.]+)/.exec(body)?.[1];
    const grid = await gridOf('fx_body');
    assert.equal(grid.serial_number, SERIAL);
    const [snapshot, ...more] = await snapshotsOf(grid.id);
    assert.equal(more.length, 0);
    assert.deepEqual(
      [snapshot?.source, snapshot?.report_time, snapshot?.physical_total_bytes, Number(snapshot?.dedupe_ratio)],
      ['body', new Date('2023-01-15T03:00:00Z'), String(BigInt(totalGib ?? 'NaN') * GIB), Number(ratio)],
    );
    const nodes = await nodesOf(grid.id);
    assert.deepEqual(
      nodes.map((node) => [node.node_name, node.status, node.disks_ok, node.disks_total]),
      [
        ['AN001', 'Normal', 2, 2],
        ['AN002', 'Normal', 2, 2],
        ['SN001', 'Normal', 12, 12],
        ['SN002', 'Degraded', 11, 12],
        ['SN003', 'Normal', 12, 12],
      ],
    );
  });

  it('alert_disk_failure.eml opens one alert and alert_recovered.eml clears it', async () => {
    const opened = await deliver('fx_alert', 'alert_disk_failure.eml');
    assert.equal(`${opened.category}/${opened.type}/${opened.group_name}`, 'hydrastor/alert/SN002');
    const grid = await gridOf('fx_alert');
    const [open, ...others] = await alertsOf(grid.id);
    assert.equal(others.length, 0);
    assert.deepEqual([open?.event_id, open?.node_name, open?.severity, open?.cleared_at], ['HS-E10431', 'SN002', 'WARNING', null]);

    const recovered = await deliver('fx_alert', 'alert_recovered.eml');
    assert.equal(`${recovered.type}/${recovered.group_name}`, 'alert/SN002');
    const [alert, recovery] = await alertsOf(grid.id);
    assert.deepEqual([recovery?.event_id, recovery?.event_type, recovery?.clears_event_id], ['HS-I10432', 'Recovered', 'HS-E10431']);
    assert.deepEqual([alert?.event_id, alert?.cleared_at, alert?.cleared_by_alert_id], ['HS-E10431', new Date('2023-01-13T05:42:00Z'), recovery?.id]);
  });

  it('alert_grid_capacity.eml: one open grid-wide alert, grouped under the grid', async () => {
    const done = await deliver('fx_grid_alert', 'alert_grid_capacity.eml');
    assert.equal(`${done.category}/${done.type}/${done.group_name}`, `hydrastor/alert/${GRID}`);
    const rows = await alertsOf((await gridOf('fx_grid_alert')).id);
    assert.deepEqual(
      rows.map((row) => [row.event_id, row.node_name, row.severity, row.cleared_at]),
      [['HS-W30002', null, 'WARNING', null]],
    );
  });

  it('unclassified.eml: kept as an unclassified job, no HYDRAstor rows', async () => {
    const done = await deliver('fx_other', 'unclassified.eml');
    assert.deepEqual([done.status, done.category, done.type], ['unclassified', 'unclassified', 'smtp']);
    assert.deepEqual(await hydrastorState(t, 'fx_other'), { hydrastor_grids: [] });
  });

  it('the same message delivered twice has one effect: the same job, and the tables unchanged', async () => {
    const first = await deliver('fx_twice', 'system_report.eml');
    const before = await hydrastorState(t, 'fx_twice');
    const again = await sendWithNodemailer({ port, from: SENDER, to: [`fx_twice@${INGEST_DOMAIN}`], raw: await fixtureMessage('system_report.eml') });
    assert.equal(again.code, 250, again.response);
    assert.deepEqual(again.jobIds, [first.id], 'a lost 250 retried: the existing job');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const jobs = await t.service.database.db.selectFrom('jobs').select(['id', 'status']).where('customer', '=', 'fx_twice').execute();
    assert.deepEqual(jobs, [{ id: first.id, status: 'succeeded' }]);
    assert.deepEqual(await hydrastorState(t, 'fx_twice'), before);
  });

  it('swaks (a second, independent SMTP client) delivers a fixture that gets processed', async function () {
    const swaks = await run('swaks', ['--version']).catch(() => undefined);
    if (swaks === undefined) {
      console.warn('    swaks is not installed (apt-get install swaks): skipping the swaks delivery test');
      this.skip();
    }
    const file = fileURLToPath(new URL('alert_disk_failure.eml', EMAIL_FIXTURES));
    const { stdout } = await run('swaks', [
      '--server',
      '127.0.0.1',
      '--port',
      String(port),
      '--from',
      SENDER,
      '--to',
      `fx_swaks@${INGEST_DOMAIN}`,
      '--data',
      `@${file}`,
      '--hide-informational',
    ]);
    assert.match(stdout, /<- {2}250 2\.0\.0 Ok: queued as /, stdout);
    const [jobId] = jobIdsIn(stdout.slice(stdout.lastIndexOf('queued as')));
    assert.ok(jobId !== undefined, stdout);
    const done = await t.waitForStatus(jobId, ENDED);
    assert.equal(done.status, 'succeeded', `${done.error_code}: ${done.error_message}`);
    const stored = await readFile(path.join(t.dataRoot, 'inbox', done.relative_path, 'message.eml'), 'utf8');
    // swaks ends DATA with CRLF.CRLF after the file's own last CRLF: one empty line more, kept as sent.
    assert.equal(stored, `${toWire(await readFile(file, 'utf8'))}\r\n`, 'stored as swaks sent it');
    const [alert] = await alertsOf((await gridOf('fx_swaks')).id);
    assert.deepEqual([alert?.event_id, alert?.cleared_at], ['HS-E10431', null]);
  });
});

describe('the service process killed with SIGKILL (real CLI: node bin/dataprocessor.js serve)', function () {
  this.timeout(120_000);
  let database: ServiceDatabase;
  before(async () => {
    database = await ServiceDatabase.create();
  });
  after(async () => {
    await database?.close();
  });

  it('right after its 250: the job exists, and completes after a restart', async () => {
    const smtpPort = await freePort();
    const first = await spawnCliService({ ...database.serviceArgs, smtpPort, workerEnabled: false });
    let restarted: Awaited<ReturnType<typeof spawnCliService>> | undefined;
    try {
      await database.addCustomer('fx_crash');
      const raw = await fixtureMessage('system_report.eml');
      const sent = await sendWithNodemailer({ port: smtpPort, from: SENDER, to: [`fx_crash@${INGEST_DOMAIN}`], raw });
      await first.killHard();
      assert.equal(sent.code, 250, sent.response);
      const jobId = sent.jobIds[0]!;
      const job = await findJob(database.db, jobId);
      // Committed before the 250, so it outlives the process: queued, or still staging if the
      // kill came before the spool wrote its folder (the restart replays the spool then).
      assert.ok(job?.status === 'queued' || job?.status === 'staging', `job is ${job?.status}`);

      restarted = await spawnCliService({ ...database.serviceArgs, smtpPort, workerEnabled: true });
      const done = await database.waitForStatus(jobId, ENDED);
      assert.equal(done.status, 'succeeded', `${done.error_code}: ${done.error_message}\n${restarted.output()}`);
      assert.deepEqual(await readFile(path.join(database.dataRoot, 'inbox', job.relative_path, 'message.eml')), raw);
      const grid = await database.db
        .withTables<HydrastorTables>()
        .selectFrom('hydrastor_grids')
        .select(['serial_number', 'last_job_id'])
        .where('customer', '=', 'fx_crash')
        .executeTakeFirst();
      assert.deepEqual(grid, { serial_number: SERIAL, last_job_id: jobId });
    } finally {
      await first.killHard();
      await restarted?.stop();
    }
  });

  it('in the middle of DATA: after a restart and recovery, no job and nothing left in inbox/.incoming', async () => {
    const smtpPort = await freePort();
    const incoming = path.join(database.dataRoot, 'inbox', '.incoming');
    const first = await spawnCliService({ ...database.serviceArgs, smtpPort, workerEnabled: true });
    let restarted: Awaited<ReturnType<typeof spawnCliService>> | undefined;
    try {
      await database.addCustomer('fx_cut');
      const { client } = await RawSmtpClient.connect(smtpPort);
      await client.startData({ from: SENDER, to: [`fx_cut@${INGEST_DOMAIN}`] });
      // Past spool.maxArrivalBytes (256 KiB), so the message streams into a folder while it arrives.
      const half = (await fixtureMessage('system_report.eml')).subarray(0, 1500);
      await client.write(Buffer.concat([half, Buffer.from(`X-Padding: ${'x'.repeat(900)}\r\n`.repeat(400))]));
      const partial = await waitForPartialArrival(incoming);
      await first.killHard();
      client.destroy();
      assert.ok((await stat(partial)).size > 0, 'the half message was being written when the process died');

      // Recovery leaves recently written partial folders alone (their writer may be alive): age
      // this one and its files past ABANDONED_AFTER_SECONDS, as if the restart came later.
      const past = new Date(Date.now() - (ABANDONED_AFTER_SECONDS + 60) * 1000);
      const folder = path.dirname(partial);
      for (const name of await readdir(folder)) await utimes(path.join(folder, name), past, past);
      await utimes(folder, past, past);
      restarted = await spawnCliService({ ...database.serviceArgs, smtpPort, workerEnabled: true });
      assert.deepEqual(await readdir(incoming), [], restarted.output());
      const jobs = await database.db.selectFrom('jobs').selectAll().where('customer', '=', 'fx_cut').execute();
      assert.deepEqual(jobs, [], JSON.stringify(jobs, null, 1));
    } finally {
      await first.killHard();
      await restarted?.stop();
    }
  });
});

/** The `.part` file of the one arrival being written under `incoming`, once it has bytes. */
async function waitForPartialArrival(incoming: string, timeoutMs = 10_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const folder of await readdir(incoming).catch(() => [] as string[])) {
      for (const name of await readdir(path.join(incoming, folder)).catch(() => [] as string[])) {
        const file = path.join(incoming, folder, name);
        if (name.endsWith('.part') && ((await stat(file).catch(() => undefined))?.size ?? 0) > 0) return file;
      }
    }
    if (Date.now() > deadline) throw new Error(`no partial arrival under ${incoming} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
