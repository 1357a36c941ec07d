import assert from 'node:assert/strict';
import { apiClient } from '../../../support/http-client.js';
import { TEST_ADMIN_KEY, type TestService } from '../../../support/start-test-service.js';
import {
  acceptMail,
  hydrastorDb,
  hydrastorState,
  ingestMail,
  resent,
  startHydrastorService,
  toCrlf,
  waitForJobLog,
} from '../support/hydrastor-test-service.js';
import { fixtureReportFiles, fixtureText, makeTarGz, withAttachment, withSubject } from '../support/report-mail-variants.js';

const SERIAL = '8A5-000123';
const GRID = 'icecream_machine';
const DAY_13 = new Date('2023-01-13T03:00:00Z');
const DAY_14 = new Date('2023-01-14T03:00:00Z');
const DAY_15 = new Date('2023-01-15T03:00:00Z');

const CUSTOMERS = ['bobs_burgers', 'sr_again', 'sr_zip', 'sr_body', 'sr_broken', 'sr_tolerant', 'sr_rename', 'sr_zone', 'sr_utc', 'sr_group', 'sr_values'];

describe('hydrastor/system_report module, through the real pipeline', () => {
  let t: TestService;
  before(async () => {
    t = await startHydrastorService(CUSTOMERS);
  });
  after(async () => {
    await t?.stop();
  });

  async function gridOf(customer: string) {
    return hydrastorDb(t).selectFrom('hydrastor_grids').selectAll().where('customer', '=', customer).executeTakeFirstOrThrow();
  }

  it('stores grid, 5 nodes, a capacity snapshot, 2 OST file systems, replication and 1 active alert from system_report.eml', async () => {
    const { job } = await acceptMail(t, { customer: 'bobs_burgers', raw: await fixtureText('system_report.eml') });
    assert.equal(`${job.category}/${job.type}/${job.group_name}`, `hydrastor/system_report/${GRID}`);
    assert.equal(job.status, 'queued');
    const done = await t.waitForStatus(job.id, ['succeeded', 'failed']);
    assert.equal(done.status, 'succeeded', `${done.error_code}: ${done.error_message}`);
    assert.deepEqual(done.stats, {
      hydrastor_grids: 1,
      hydrastor_capacity_snapshots: 1,
      hydrastor_nodes: 5,
      hydrastor_filesystems: 2,
      hydrastor_replications: 1,
      hydrastor_active_alerts: 1,
      parse_issues: 0,
    });

    const state = await hydrastorState(t, 'bobs_burgers');
    const [grid] = state['hydrastor_grids'] as Array<Awaited<ReturnType<typeof gridOf>>>;
    assert.ok(grid);
    assert.deepEqual(
      {
        serial: grid.serial_number,
        name: grid.name,
        model: grid.model,
        version: grid.software_version,
        status: grid.overall_status,
        level: grid.resiliency_level,
        zone: grid.timezone,
      },
      { serial: SERIAL, name: GRID, model: 'HS8-5000', version: '5.5.2', status: 'Warning', level: 3, zone: 'Asia/Tokyo' },
    );
    assert.deepEqual(grid.last_report_time, DAY_13);

    const db = hydrastorDb(t);
    const nodes = await db.selectFrom('hydrastor_nodes').selectAll().where('grid_id', '=', grid.id).orderBy('node_name').execute();
    assert.deepEqual(
      nodes.map((node) => node.node_name),
      ['AN001', 'AN002', 'SN001', 'SN002', 'SN003'],
    );
    const sn002 = nodes.find((node) => node.node_name === 'SN002');
    assert.deepEqual(
      { type: sn002?.node_type, status: sn002?.status, ok: sn002?.disks_ok, total: sn002?.disks_total, ip: sn002?.ip_address },
      { type: 'SN', status: 'Degraded', ok: 11, total: 12, ip: '10.20.1.2' },
    );

    const [snapshot, ...moreSnapshots] = await db.selectFrom('hydrastor_capacity_snapshots').selectAll().where('grid_id', '=', grid.id).execute();
    assert.equal(moreSnapshots.length, 0);
    assert.deepEqual(
      {
        at: snapshot?.report_time,
        total: snapshot?.physical_total_bytes,
        used: snapshot?.physical_used_bytes,
        logical: snapshot?.logical_used_bytes,
        ratio: snapshot?.dedupe_ratio,
        source: snapshot?.source,
      },
      { at: DAY_13, total: '1113255523123200', used: '734079453997893', logical: '11011191809968395', ratio: '14.9', source: 'attachment' },
    );

    const filesystems = await db.selectFrom('hydrastor_filesystems').selectAll().where('grid_id', '=', grid.id).orderBy('fs_name').execute();
    assert.deepEqual(
      filesystems.map((fs) => [fs.fs_name, fs.protocol, fs.logical_used_bytes, fs.quota_bytes]),
      [
        ['ost_lsu_prod01', 'OST', '2596963854267482', null],
        ['ost_lsu_prod02', 'OST', '2675842026784833', null],
      ],
    );

    const replications = await db.selectFrom('hydrastor_replications').selectAll().where('grid_id', '=', grid.id).execute();
    assert.deepEqual(
      replications.map((pair) => [pair.source_fs, pair.target_system, pair.target_serial, pair.target_fs, pair.state, pair.backlog_bytes, pair.last_sync_time]),
      [['ost_lsu_prod01', 'dr_grid', '8A5-000999', 'ost_lsu_prod01', 'Normal', '0', new Date('2023-01-13T02:52:00Z')]],
    );

    const alerts = await db.selectFrom('hydrastor_active_alerts').selectAll().where('grid_id', '=', grid.id).execute();
    assert.deepEqual(
      alerts.map((alert) => [alert.event_id, alert.node_name, alert.severity, alert.occurred_at, alert.message]),
      [['HS-E10431', 'SN002', 'WARNING', new Date('2023-01-12T09:00:00Z'), 'Disk failure detected, rebuild started']],
    );

    for (const [table, rows] of Object.entries(state)) {
      for (const row of rows as Array<{ last_job_id: string }>) assert.equal(row.last_job_id, job.id, `${table} row records its job`);
    }
  });

  it('changes nothing when the same report arrives again', async () => {
    const raw = await fixtureText('system_report.eml');
    const first = await ingestMail(t, { customer: 'sr_again', raw });
    assert.equal(first.done.status, 'succeeded');
    const before = await hydrastorState(t, 'sr_again');

    const again = await ingestMail(t, { customer: 'sr_again', raw: resent(raw, 'again') });
    assert.notEqual(again.accepted.id, first.accepted.id, 'a resend is a new arrival, not a duplicate');
    assert.equal(again.done.status, 'succeeded');
    assert.deepEqual(again.done.stats, {
      hydrastor_grids: 0,
      hydrastor_capacity_snapshots: 0,
      hydrastor_nodes: 0,
      hydrastor_filesystems: 0,
      hydrastor_replications: 0,
      hydrastor_active_alerts: 0,
      parse_issues: 0,
    });
    assert.deepEqual(await hydrastorState(t, 'sr_again'), before);
  });

  it("adds a second capacity snapshot from the next day's .zip report (top-level folder inside)", async () => {
    await ingestMail(t, { customer: 'sr_zip', raw: await fixtureText('system_report.eml') });
    const { accepted, done } = await ingestMail(t, { customer: 'sr_zip', raw: await fixtureText('system_report_zip.eml') });
    assert.equal(accepted.group_name, GRID);
    assert.equal(done.status, 'succeeded', `${done.error_code}: ${done.error_message}`);

    const grid = await gridOf('sr_zip');
    assert.deepEqual(grid.last_report_time, DAY_14);
    assert.equal(grid.last_job_id, accepted.id);
    const db = hydrastorDb(t);
    const snapshots = await db
      .selectFrom('hydrastor_capacity_snapshots')
      .select(['report_time', 'source'])
      .where('grid_id', '=', grid.id)
      .orderBy('report_time')
      .execute();
    assert.deepEqual(snapshots, [
      { report_time: DAY_13, source: 'attachment' },
      { report_time: DAY_14, source: 'attachment' },
    ]);
    const nodes = await db
      .selectFrom('hydrastor_nodes')
      .select(['first_report_time', 'last_report_time', 'last_job_id'])
      .where('grid_id', '=', grid.id)
      .execute();
    assert.equal(nodes.length, 5);
    for (const node of nodes) assert.deepEqual(node, { first_report_time: DAY_13, last_report_time: DAY_14, last_job_id: accepted.id });
    assert.equal((await db.selectFrom('hydrastor_filesystems').select('fs_name').where('grid_id', '=', grid.id).execute()).length, 2);
    assert.equal((await db.selectFrom('hydrastor_replications').select('id').where('grid_id', '=', grid.id).execute()).length, 1);
    // Each report lists the alert with its own time: the newest report's row is the active one.
    const alerts = await db
      .selectFrom('hydrastor_active_alerts')
      .select(['occurred_at', 'last_report_time'])
      .where('grid_id', '=', grid.id)
      .orderBy('occurred_at')
      .execute();
    assert.deepEqual(
      alerts.map((alert) => alert.last_report_time),
      [DAY_13, DAY_14],
    );
  });

  it('succeeds from the body alone, and a late older attachment only fills what the body lacked', async () => {
    const body = await ingestMail(t, { customer: 'sr_body', raw: await fixtureText('system_report_body_only.eml') });
    assert.equal(body.done.status, 'succeeded', `${body.done.error_code}: ${body.done.error_message}`);
    assert.equal(body.accepted.group_name, GRID);
    const db = hydrastorDb(t);
    const grid = await gridOf('sr_body');
    assert.equal(grid.timezone, null, 'the body names no time zone');
    const snapshot = await db.selectFrom('hydrastor_capacity_snapshots').selectAll().where('grid_id', '=', grid.id).executeTakeFirstOrThrow();
    assert.deepEqual([snapshot.report_time, snapshot.source, snapshot.physical_total_bytes], [DAY_15, 'body', String(1036800n * 2n ** 30n)]);
    const sn002 = await db.selectFrom('hydrastor_nodes').selectAll().where('grid_id', '=', grid.id).where('node_name', '=', 'SN002').executeTakeFirstOrThrow();
    assert.deepEqual([sn002.status, sn002.disks_ok, sn002.disks_total, sn002.ip_address], ['Degraded', 11, 12, null]);
    assert.equal((await db.selectFrom('hydrastor_nodes').select('node_name').where('grid_id', '=', grid.id).execute()).length, 5);
    assert.equal((await db.selectFrom('hydrastor_active_alerts').select('id').where('grid_id', '=', grid.id).execute()).length, 1);

    const older = await ingestMail(t, { customer: 'sr_body', raw: await fixtureText('system_report.eml') });
    assert.equal(older.done.status, 'succeeded');
    const after = await gridOf('sr_body');
    assert.deepEqual([after.last_report_time, after.timezone], [DAY_15, 'Asia/Tokyo'], 'an older report does not move last seen, but fills the zone');
    const node = await db.selectFrom('hydrastor_nodes').selectAll().where('grid_id', '=', grid.id).where('node_name', '=', 'SN002').executeTakeFirstOrThrow();
    assert.deepEqual([node.ip_address, node.first_report_time, node.last_report_time], ['10.20.1.2', DAY_13, DAY_15]);
    const replications = await db.selectFrom('hydrastor_replications').selectAll().where('grid_id', '=', grid.id).execute();
    assert.deepEqual(
      replications.map((pair) => [pair.target_system, pair.target_serial]),
      [['dr_grid', '8A5-000999']],
      'one pair, matched by target name',
    );
    assert.equal((await db.selectFrom('hydrastor_capacity_snapshots').select('report_time').where('grid_id', '=', grid.id).execute()).length, 2);
  });

  it('fails a report whose attachment is not an archive, with a clear error and no rows', async () => {
    const raw = withAttachment(await fixtureText('system_report.eml'), {
      filename: 'HSSysReport_8A5-000123_20230113T120000+0900.tar.gz',
      contentType: 'application/gzip',
      content: Buffer.from('this is plain text, not a gzip stream\n'),
    });
    const { accepted, done } = await ingestMail(t, { customer: 'sr_broken', raw });
    assert.equal(accepted.type, 'system_report');
    assert.equal(done.status, 'failed');
    assert.equal(done.attempts, 1, 'a broken attachment is not retried');
    assert.equal(done.error_code, 'ARCHIVE_UNSUPPORTED');
    assert.match(done.error_message ?? '', /^System report attachment "HSSysReport_8A5-000123_20230113T120000\+0900\.tar\.gz": .*not a \.tar\.gz/);
    assert.deepEqual(await hydrastorState(t, 'sr_broken'), { hydrastor_grids: [] });
  });

  it('tolerates a forwarded CRLF mail with a .tgz holding extra columns and files, repeated rows and no optional files', async () => {
    const files = await fixtureReportFiles();
    const nodes = (files.get('nodes.csv') ?? '').trim().split('\n');
    const [header = '', ...rows] = nodes;
    const nodesCsv = [
      `${header},rack`,
      ...rows.map((row, index) => `${row.replace('HS8-5000', index === 0 ? 'HS8-5000\u0000' : 'HS8-5000')},R${index + 1}`),
      `${rows[0] ?? ''},R99`,
    ].join('\r\n');
    const archive = await makeTarGz(
      new Map([
        ['HSSysReport/nodes.csv', nodesCsv],
        ['HSSysReport/README.txt', 'not part of the report'],
        ['HSSysReport/system.csv', (files.get('system.csv') ?? '').replace(/\n/g, '\r\n')],
        ['HSSysReport/filesystems.csv', files.get('filesystems.csv') ?? ''],
        ['HSSysReport/capacity.csv', files.get('capacity.csv') ?? ''],
      ]),
    );
    const raw = toCrlf(
      withSubject(
        withAttachment(await fixtureText('system_report.eml'), { filename: 'report.tgz', contentType: 'application/octet-stream', content: archive }),
        '[EXT] FW: RE:\r\n [HYDRAstor] System Report: icecream_machine\r\n (S/N 8A5-000123) 2023-01-13',
      ),
    );
    const { accepted, done } = await ingestMail(t, { customer: 'sr_tolerant', raw });
    assert.equal(`${accepted.category}/${accepted.type}/${accepted.group_name}`, `hydrastor/system_report/${GRID}`);
    assert.equal(done.status, 'succeeded', `${done.error_code}: ${done.error_message}`);
    assert.equal((done.stats as Record<string, number>)['hydrastor_nodes'], 5, 'the repeated node is collapsed, not a 21000 error');
    assert.equal((done.stats as Record<string, number>)['hydrastor_replications'], 0);
    assert.equal((done.stats as Record<string, number>)['hydrastor_active_alerts'], 0);

    const grid = await gridOf('sr_tolerant');
    const db = hydrastorDb(t);
    const stored = await db.selectFrom('hydrastor_nodes').select(['node_name', 'model', 'extra']).where('grid_id', '=', grid.id).orderBy('node_name').execute();
    assert.deepEqual(
      stored[0],
      { node_name: 'AN001', model: 'HS8-5000', extra: { rack: 'R1' } },
      'unknown column kept in extra; NUL dropped; first repeat wins',
    );
    assert.deepEqual(
      stored.map((node) => node.extra['rack']),
      ['R1', 'R2', 'R3', 'R4', 'R5'],
    );
    await waitForJobLog(t, accepted.id, (line) => line.includes('README.txt'));
  });

  // Issue #11 item 8: blank → null; a value that does not fit is kept raw and counted on the job.
  it('stores a blank number as null and keeps a fractional one raw in extra, listed in the job detail', async () => {
    const files = await fixtureReportFiles();
    const nodesCsv = (files.get('nodes.csv') ?? '').replace(
      'SN001,SN,Normal,SN2301B0101,HS8-5000,5.5.2,10.20.1.1,12,12',
      'SN001,SN,Normal,SN2301B0101,HS8-5000,5.5.2,10.20.1.1, ,11.5',
    );
    assert.ok(nodesCsv.includes(', ,11.5'), 'the fixture row was changed');
    const archive = await makeTarGz(new Map([...files].map(([name, content]) => [`HSSysReport/${name}`, name === 'nodes.csv' ? nodesCsv : content])));
    const raw = withAttachment(await fixtureText('system_report.eml'), { filename: 'report.tar.gz', contentType: 'application/gzip', content: archive });
    const { done } = await ingestMail(t, { customer: 'sr_values', raw });
    assert.equal(done.status, 'succeeded', `${done.error_code}: ${done.error_message}`);
    const grid = await gridOf('sr_values');
    const node = await hydrastorDb(t)
      .selectFrom('hydrastor_nodes')
      .select(['disks_total', 'disks_ok', 'extra'])
      .where('grid_id', '=', grid.id)
      .where('node_name', '=', 'SN001')
      .executeTakeFirstOrThrow();
    assert.deepEqual(node, { disks_total: null, disks_ok: null, extra: { disks_ok: '11.5' } });

    const detail = await apiClient(t.service.httpUrl!, TEST_ADMIN_KEY).get(`/api/1.0/jobs/${done.id}`);
    assert.equal(detail.status, 200);
    assert.deepEqual(detail.body.parseIssues, {
      count: 1,
      items: [{ file: 'nodes.csv', line: 4, what: 'disks_ok: "11.5" is not an integer; stored as null, kept raw in extra', raw: '11.5' }],
    });
  });

  it('keeps the grid by serial when it is renamed, and an older report does not rename it back', async () => {
    await ingestMail(t, { customer: 'sr_rename', raw: await fixtureText('system_report.eml') });
    const renamed = withSubject(
      (await fixtureText('system_report_body_only.eml')).replace('System Name          : icecream_machine', 'System Name          : icecream_machine_v2'),
      '[HYDRAstor] System Report: icecream_machine_v2 (S/N 8A5-000123) 2023-01-15',
    );
    const { accepted, done } = await ingestMail(t, { customer: 'sr_rename', raw: renamed });
    assert.equal(accepted.group_name, 'icecream_machine_v2');
    assert.equal(done.status, 'succeeded');
    const grid = await gridOf('sr_rename');
    assert.deepEqual([grid.name, grid.previous_names, grid.serial_number], ['icecream_machine_v2', [GRID], SERIAL]);

    await ingestMail(t, { customer: 'sr_rename', raw: await fixtureText('system_report_zip.eml') });
    const after = await gridOf('sr_rename');
    assert.deepEqual([after.id, after.name, after.previous_names, after.last_report_time], [grid.id, 'icecream_machine_v2', [GRID], DAY_15]);
    const grids = await hydrastorDb(t).selectFrom('hydrastor_grids').select('id').where('customer', '=', 'sr_rename').execute();
    assert.equal(grids.length, 1);
  });

  it("reads times without an offset in the grid's known zone, else as UTC (and says so)", async () => {
    const noOffset = withSubject(
      (await fixtureText('system_report_body_only.eml')).replace(
        'Report Time          : 2023-01-15 12:00:00 +0900',
        'Report Time          : 2023-01-17 12:00:00',
      ),
      '[HYDRAstor] System Report: icecream_machine (S/N 8A5-000123) 2023-01-17',
    );
    await ingestMail(t, { customer: 'sr_zone', raw: await fixtureText('system_report.eml') });
    const known = await ingestMail(t, { customer: 'sr_zone', raw: noOffset });
    assert.equal(known.done.status, 'succeeded');
    assert.deepEqual((await gridOf('sr_zone')).last_report_time, new Date('2023-01-17T03:00:00Z'), 'read in Asia/Tokyo');

    const unknown = await ingestMail(t, { customer: 'sr_utc', raw: noOffset });
    assert.equal(unknown.done.status, 'succeeded');
    assert.deepEqual((await gridOf('sr_utc')).last_report_time, new Date('2023-01-17T12:00:00Z'), 'read as UTC');
    assert.ok(((unknown.done.stats as Record<string, number>)['parse_issues'] ?? 0) >= 1);
    await waitForJobLog(t, unknown.accepted.id, (line) => line.includes('report_time has no UTC offset; read as UTC'));
  });

  it('takes the group from the body when the subject does not name the grid, and fails an unreadable report clearly', async () => {
    const raw = withSubject(await fixtureText('system_report_body_only.eml'), 'daily report');
    const { job } = await acceptMail(t, { customer: 'sr_group', raw, moduleKey: 'hydrastor/system_report' });
    assert.equal(job.group_name, GRID);
    assert.equal((await t.waitForStatus(job.id, ['succeeded', 'failed'])).status, 'succeeded');

    const unclassified = await acceptMail(t, { customer: 'sr_group', raw: resent(raw, 'unclassified') });
    assert.equal(unclassified.job.status, 'unclassified', 'without the subject pattern nothing claims it by itself');

    const nameless = raw.replace(/System Name .*\n/, '').replace(/Report Time .*\n/, '');
    const failed = await ingestMail(t, { customer: 'sr_group', raw: resent(nameless, 'nameless'), moduleKey: 'hydrastor/system_report' });
    assert.equal(failed.accepted.group_name, 'unknown');
    assert.equal(failed.done.status, 'failed');
    assert.equal(failed.done.error_code, 'HYDRASTOR_REPORT_INCOMPLETE');
    assert.match(failed.done.error_message ?? '', /system name, report time/);
  });
});
