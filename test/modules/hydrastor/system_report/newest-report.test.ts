import assert from 'node:assert/strict';
import type { TestService } from '../../../support/start-test-service.js';
import { hydrastorDb, hydrastorState, ingestMail, resent, startHydrastorService } from '../support/hydrastor-test-service.js';
import { fixtureReportFiles, fixtureText, makeTarGz, withAttachment } from '../support/report-mail-variants.js';

const DAY_13 = new Date('2023-01-13T03:00:00Z');
const DAY_14 = new Date('2023-01-14T03:00:00Z');
const CUSTOMERS = ['sr_late_older', 'sr_late_newer', 'sr_same_report', 'sr_body_first'];

/** Replaces one whole line of a CSV (by its first field) and checks that it was there. */
function withCsvLine(csv: string, key: string, line: string): string {
  const lines = csv.trimEnd().split('\n');
  const index = lines.findIndex((candidate) => candidate.startsWith(`${key},`));
  if (index === -1) throw new Error(`no CSV line starts with ${key}`);
  lines[index] = line;
  return `${lines.join('\n')}\n`;
}

/**
 * system_report.eml (the 13th) with other values in its attachment than the 14th's report has:
 * another status and version, a failed node with a new address, a read-only file system, a
 * suspended replication, and a node the later reports no longer list.
 */
async function olderReportWithOtherValues(): Promise<string> {
  const files = await fixtureReportFiles();
  const changed = new Map<string, string>([
    [
      'HSSysReport/system.csv',
      withCsvLine(
        files.get('system.csv') ?? '',
        'icecream_machine',
        'icecream_machine,8A5-000123,HS8-5000,5.4.0,2023-01-13T12:00:00+09:00,Critical,3,Asia/Tokyo',
      ),
    ],
    ['HSSysReport/capacity.csv', files.get('capacity.csv') ?? ''],
    [
      'HSSysReport/nodes.csv',
      `${withCsvLine(files.get('nodes.csv') ?? '', 'SN002', 'SN002,SN,Failed,SN2301B0102,HS8-5000,5.4.0,10.99.1.2,12,3,OK,OK,OK')}SN004,SN,Normal,SN2301B0104,HS8-5000,5.4.0,10.20.1.4,12,12,OK,OK,OK\n`,
    ],
    ['HSSysReport/filesystems.csv', withCsvLine(files.get('filesystems.csv') ?? '', 'ost_lsu_prod01', 'ost_lsu_prod01,OST,ReadOnly,1,1,1.00,')],
    [
      'HSSysReport/replication.csv',
      withCsvLine(
        files.get('replication.csv') ?? '',
        'ost_lsu_prod01',
        'ost_lsu_prod01,dr_grid,8A5-000999,ost_lsu_prod01,Suspended,2023-01-10T11:52:00+09:00,999',
      ),
    ],
    ['HSSysReport/alerts_active.csv', files.get('alerts_active.csv') ?? ''],
  ]);
  return withAttachment(await fixtureText('system_report.eml'), {
    filename: 'HSSysReport_8A5-000123_20230113T120000+0900.tar.gz',
    contentType: 'application/gzip',
    content: await makeTarGz(changed),
  });
}

/** system_report.eml without its attachment: the same report (serial and time), read from the body. */
function bodyOnly(raw: string): string {
  const withoutPart = raw.replace(/\n--=_dp_[0-9a-f]+\nContent-Type: application\/gzip[\s\S]*?(?=\n--=_dp_[0-9a-f]+--)/, '');
  if (withoutPart === raw) throw new Error('the fixture has no attachment part to remove');
  return resent(withoutPart, 'body-only');
}

describe('hydrastor/system_report: the newest report wins (real service, real PostgreSQL)', () => {
  let t: TestService;
  before(async () => {
    t = await startHydrastorService(CUSTOMERS);
  });
  after(async () => {
    await t?.stop();
  });

  /** The "current" values the reports above disagree on, for one customer's grid. */
  async function current(customer: string) {
    const db = hydrastorDb(t);
    const grid = await db.selectFrom('hydrastor_grids').selectAll().where('customer', '=', customer).executeTakeFirstOrThrow();
    const nodes = await db
      .selectFrom('hydrastor_nodes')
      .select(['node_name', 'status', 'ip_address', 'software_version', 'disks_ok', 'last_report_time'])
      .where('grid_id', '=', grid.id)
      .orderBy('node_name')
      .execute();
    const filesystems = await db
      .selectFrom('hydrastor_filesystems')
      .select(['fs_name', 'state', 'logical_used_bytes', 'dedupe_ratio', 'last_report_time'])
      .where('grid_id', '=', grid.id)
      .orderBy('fs_name')
      .execute();
    const replications = await db
      .selectFrom('hydrastor_replications')
      .select(['source_fs', 'state', 'backlog_bytes', 'last_sync_time', 'last_report_time'])
      .where('grid_id', '=', grid.id)
      .execute();
    return {
      grid: { status: grid.overall_status, version: grid.software_version, lastReportTime: grid.last_report_time },
      nodes,
      filesystems,
      replications,
    };
  }

  it("keeps the newer report's current values when an older one arrives after it; the older one only adds what is missing", async () => {
    const newer = await ingestMail(t, { customer: 'sr_late_older', raw: await fixtureText('system_report_zip.eml') });
    assert.equal(newer.done.status, 'succeeded', `${newer.done.error_code}: ${newer.done.error_message}`);
    const before = await current('sr_late_older');
    assert.deepEqual(before.grid.lastReportTime, DAY_14);

    const older = await ingestMail(t, { customer: 'sr_late_older', raw: await olderReportWithOtherValues() });
    assert.equal(older.done.status, 'succeeded', `${older.done.error_code}: ${older.done.error_message}`);
    const after = await current('sr_late_older');
    assert.deepEqual(after.grid, before.grid, "grid status, version and last report time stay the newer report's");
    assert.deepEqual(
      after.nodes.filter((node) => node.node_name !== 'SN004'),
      before.nodes,
      'nodes keep the newer values',
    );
    assert.deepEqual(
      after.nodes.find((node) => node.node_name === 'SN004')?.last_report_time,
      DAY_13,
      'a node only the older report lists is added, as last seen then',
    );
    assert.deepEqual(after.filesystems, before.filesystems);
    assert.deepEqual(after.replications, before.replications);
  });

  it('lets the newer report win when it arrives after the older one', async () => {
    await ingestMail(t, { customer: 'sr_late_newer', raw: await olderReportWithOtherValues() });
    const newer = await ingestMail(t, { customer: 'sr_late_newer', raw: await fixtureText('system_report_zip.eml') });
    assert.equal(newer.done.status, 'succeeded');
    const stored = await current('sr_late_newer');
    assert.deepEqual(stored.grid, { status: 'Warning', version: '5.5.2', lastReportTime: DAY_14 });
    const sn002 = stored.nodes.find((node) => node.node_name === 'SN002');
    assert.deepEqual([sn002?.status, sn002?.ip_address, sn002?.last_report_time], ['Degraded', '10.20.1.2', DAY_14]);
    assert.deepEqual(
      stored.filesystems.map((fs) => [fs.fs_name, fs.state, fs.last_report_time]),
      [
        ['ost_lsu_prod01', 'Normal', DAY_14],
        ['ost_lsu_prod02', 'Normal', DAY_14],
      ],
    );
    assert.deepEqual(
      stored.replications.map((pair) => [pair.state, pair.backlog_bytes]),
      [['Normal', '0']],
    );
  });

  it('changes nothing when the same report comes again without its attachment (the attachment wins)', async () => {
    // A replication backlog the body can only round: 123,456,789 bytes are "0.11" GiB there.
    const files = await fixtureReportFiles();
    const attachment = await makeTarGz(
      new Map(
        [...files].map(([name, text]): [string, string] => [
          `HSSysReport/${name}`,
          name === 'replication.csv'
            ? withCsvLine(text, 'ost_lsu_prod01', 'ost_lsu_prod01,dr_grid,8A5-000999,ost_lsu_prod01,Normal,2023-01-13T11:52:00+09:00,123456789')
            : text,
        ]),
      ),
    );
    const body = (await fixtureText('system_report.eml')).replace(' +0900   0.00', ' +0900   0.11');
    const raw = withAttachment(body, { filename: 'HSSysReport_8A5-000123_20230113T120000+0900.tar.gz', contentType: 'application/gzip', content: attachment });
    const full = await ingestMail(t, { customer: 'sr_same_report', raw });
    assert.equal(full.done.status, 'succeeded');
    const before = await hydrastorState(t, 'sr_same_report');
    assert.deepEqual(
      (before['hydrastor_replications'] as Array<{ backlog_bytes: string }>).map((pair) => pair.backlog_bytes),
      ['123456789'],
    );

    const fromBody = await ingestMail(t, { customer: 'sr_same_report', raw: bodyOnly(raw) });
    assert.equal(fromBody.done.status, 'succeeded', `${fromBody.done.error_code}: ${fromBody.done.error_message}`);
    assert.deepEqual(await hydrastorState(t, 'sr_same_report'), before);
    assert.equal((fromBody.done.stats as Record<string, number>)['hydrastor_replications'], 0);
  });

  it('lets the attachment replace what the body of the same report gave', async () => {
    const raw = await fixtureText('system_report.eml');
    await ingestMail(t, { customer: 'sr_body_first', raw: bodyOnly(raw).replace(' +0900   0.00', ' +0900   0.11') });
    const rounded = (await hydrastorState(t, 'sr_body_first'))['hydrastor_replications'] as Array<{ backlog_bytes: string }>;
    assert.deepEqual(
      rounded.map((pair) => pair.backlog_bytes),
      [String(Math.round(0.11 * 2 ** 30))],
      'the body gives GiB with two decimals',
    );
    const full = await ingestMail(t, { customer: 'sr_body_first', raw });
    assert.equal(full.done.status, 'succeeded');
    const state = await hydrastorState(t, 'sr_body_first');
    assert.deepEqual(
      (state['hydrastor_replications'] as Array<{ backlog_bytes: string }>).map((pair) => pair.backlog_bytes),
      ['0'],
    );
    const sn002 = (state['hydrastor_nodes'] as Array<{ node_name: string; ip_address: string | null }>).find((node) => node.node_name === 'SN002');
    assert.equal(sn002?.ip_address, '10.20.1.2');
  });
});
