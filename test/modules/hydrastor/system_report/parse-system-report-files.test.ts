import assert from 'node:assert/strict';
import { formatParseIssue } from '../../../../src/modules/parse-issue.js';
import { parseSystemReportFiles } from '../../../../src/modules/hydrastor/system_report/parse-system-report-files.js';
import { systemReportGroup } from '../../../../src/modules/hydrastor/system_report/system-report-group.js';
import type { SystemReport } from '../../../../src/modules/hydrastor/system_report/system-report-types.js';
import { IngestError } from '../../../../src/core/ingest-error.js';
import { readFixtureMail, readReportFiles, unpackReportAttachment } from '../support/mail-fixtures.js';

async function fixtureFiles(name = 'system_report.eml'): Promise<Map<string, string>> {
  return readReportFiles(await readFixtureMail(name));
}

function issuesOf(report: SystemReport): string[] {
  return report.issues.map(formatParseIssue);
}

function mapValues(files: ReadonlyMap<string, string>, change: (text: string, name: string) => string): Map<string, string> {
  return new Map([...files].map(([name, text]) => [name, change(text, name)]));
}

function without(files: ReadonlyMap<string, string>, ...names: string[]): Map<string, string> {
  return new Map([...files].filter(([name]) => !names.includes(name)));
}

/** Moves the first column of an unquoted CSV text to the end and appends a `rack` column. */
function reorderColumnsAddingRack(text: string): string {
  assert.ok(!text.includes('"'), 'helper only handles unquoted CSV');
  return text
    .trimEnd()
    .split('\n')
    .map((line, index) => {
      const [first, ...rest] = line.split(',');
      return [...rest, first, index === 0 ? 'rack' : `R${index}`].join(',');
    })
    .join('\n');
}

/** The same CSV files, replaced line by line. */
function replaceLine(files: ReadonlyMap<string, string>, name: string, from: string, to: string): Map<string, string> {
  const text = files.get(name);
  assert.ok(text !== undefined && text.includes(from), `${name} lacks ${from}`);
  return new Map(files).set(name, text.replace(from, to));
}

describe('parseSystemReportFiles', () => {
  it('reads the .tar.gz fixture: grid, 5 nodes, capacity, 2 OST file systems, replication, 1 active alert', async () => {
    const report = parseSystemReportFiles({ files: await fixtureFiles() });
    assert.deepEqual(report.issues, []);
    assert.equal(report.source, 'attachment');
    assert.equal(systemReportGroup(report), 'icecream_machine');
    assert.deepEqual(report.system, {
      name: 'icecream_machine',
      serialNumber: '8A5-000123',
      model: 'HS8-5000',
      softwareVersion: '5.5.2',
      reportTime: new Date('2023-01-13T03:00:00Z'),
      overallStatus: 'Warning',
      resiliencyLevel: 3,
      timezone: 'Asia/Tokyo',
      extra: {},
    });
    assert.deepEqual(report.capacity, {
      reportTime: new Date('2023-01-13T03:00:00Z'),
      physicalTotalBytes: 1113255523123200n,
      physicalUsedBytes: 734079453997893n,
      physicalFreeBytes: 379176069125307n,
      logicalUsedBytes: 11011191809968395n,
      dedupeRatio: 14.9,
      extra: {},
    });
    assert.deepEqual(
      report.nodes.map((node) => [node.name, node.type, node.status]),
      [
        ['AN001', 'AN', 'Normal'],
        ['AN002', 'AN', 'Normal'],
        ['SN001', 'SN', 'Normal'],
        ['SN002', 'SN', 'Degraded'],
        ['SN003', 'SN', 'Normal'],
      ],
    );
    assert.deepEqual(report.nodes[3], {
      name: 'SN002',
      type: 'SN',
      status: 'Degraded',
      serialNumber: 'SN2301B0102',
      model: 'HS8-5000',
      softwareVersion: '5.5.2',
      ipAddress: '10.20.1.2',
      disksTotal: 12,
      disksOk: 11,
      cpuStatus: 'OK',
      psuStatus: 'OK',
      fanStatus: 'OK',
      extra: {},
    });
    assert.deepEqual(
      report.filesystems.map((fs) => [fs.name, fs.protocol, fs.dedupeRatio, fs.quotaBytes]),
      [
        ['ost_lsu_prod01', 'OST', 14, null],
        ['ost_lsu_prod02', 'OST', 14.5, null],
      ],
    );
    assert.equal(report.filesystems[0]?.logicalUsedBytes, 2596963854267482n);
    assert.deepEqual(report.replication, [
      {
        sourceFs: 'ost_lsu_prod01',
        targetSystem: 'dr_grid',
        targetSerial: '8A5-000999',
        targetFs: 'ost_lsu_prod01',
        state: 'Normal',
        lastSyncTime: new Date('2023-01-13T02:52:00Z'),
        backlogBytes: 0n,
        extra: {},
      },
    ]);
    assert.deepEqual(report.activeAlerts, [
      {
        occurredAt: new Date('2023-01-12T09:00:00Z'),
        severity: 'WARNING',
        eventId: 'HS-E10431',
        node: 'SN002',
        component: 'Disk (slot 7)',
        message: 'Disk failure detected, rebuild started',
        extra: {},
      },
    ]);
    assert.deepEqual(report.ignored, []);
  });

  it("reads the .zip fixture with a top-level folder as the next day's snapshot", async () => {
    const mail = await readFixtureMail('system_report_zip.eml');
    assert.match(mail.attachments[0]?.filename ?? '', /\.zip$/);
    const report = parseSystemReportFiles({ files: await readReportFiles(mail) });
    assert.deepEqual(report.issues, []);
    assert.equal(report.system.reportTime.toISOString(), '2023-01-14T03:00:00.000Z');
    assert.equal(report.capacity?.reportTime.toISOString(), '2023-01-14T03:00:00.000Z');
    assert.equal(report.nodes.length, 5);
    assert.equal(report.filesystems.length, 2);
    assert.equal(report.activeAlerts.length, 1);
  });

  it('accepts folder paths as keys (a top-level folder the extractor kept)', async () => {
    const files = await fixtureFiles();
    const nested = new Map([...files].map(([name, text]) => [`HSSysReport_8A5-000123/${name}`, text]));
    assert.deepEqual(parseSystemReportFiles({ files: nested }), parseSystemReportFiles({ files }));
  });

  it('reads a .tgz attachment like a .tar.gz', async () => {
    const mail = await readFixtureMail('system_report.eml');
    const attachment = mail.attachments[0];
    assert.ok(attachment !== undefined);
    const files = await unpackReportAttachment({ filename: 'HSSysReport_8A5-000123.tgz', content: attachment.content });
    assert.equal(parseSystemReportFiles({ files }).nodes.length, 5);
  });

  it('does not care about file order', async () => {
    const files = await fixtureFiles();
    assert.deepEqual(parseSystemReportFiles({ files: new Map([...files].reverse()) }), parseSystemReportFiles({ files }));
  });

  it('reads CRLF line endings the same', async () => {
    const files = await fixtureFiles();
    const crlf = mapValues(files, (text) => text.replace(/\r?\n/g, '\r\n'));
    assert.ok([...crlf.values()].every((text) => text.includes('\r\n')));
    assert.deepEqual(parseSystemReportFiles({ files: crlf }), parseSystemReportFiles({ files }));
  });

  it('reads columns in any order and keeps unknown columns in extra', async () => {
    const files = await fixtureFiles();
    const changed = mapValues(files, (text, name) => (name === 'nodes.csv' || name === 'filesystems.csv' ? reorderColumnsAddingRack(text) : text));
    const report = parseSystemReportFiles({ files: changed });
    const reference = parseSystemReportFiles({ files });
    assert.deepEqual(report.issues, []);
    assert.deepEqual(
      report.nodes.map((node) => node.extra),
      [{ rack: 'R1' }, { rack: 'R2' }, { rack: 'R3' }, { rack: 'R4' }, { rack: 'R5' }],
    );
    assert.deepEqual(
      report.nodes.map(({ extra: _extra, ...node }) => node),
      reference.nodes.map(({ extra: _extra, ...node }) => node),
    );
    assert.deepEqual(report.filesystems[1]?.extra, { rack: 'R2' });
  });

  it('lists unknown extra files as ignored without failing', async () => {
    const files = new Map(await fixtureFiles()).set('performance.csv', 'a,b\n1,2\n').set('README.txt', 'hello');
    const report = parseSystemReportFiles({ files });
    assert.deepEqual(report.ignored, ['performance.csv', 'README.txt']);
    assert.deepEqual(report.issues, []);
    assert.equal(report.nodes.length, 5);
  });

  it('is fine without the optional replication.csv and alerts_active.csv', async () => {
    const report = parseSystemReportFiles({ files: without(await fixtureFiles(), 'replication.csv', 'alerts_active.csv') });
    assert.deepEqual(report.replication, []);
    assert.deepEqual(report.activeAlerts, []);
    assert.deepEqual(report.issues, []);
  });

  it('reports, but survives, a missing capacity.csv', async () => {
    const report = parseSystemReportFiles({ files: without(await fixtureFiles(), 'capacity.csv') });
    assert.equal(report.capacity, null);
    assert.deepEqual(issuesOf(report), ['capacity.csv: file missing from the report']);
  });

  it('fails with a clear error without system.csv', async () => {
    assert.throws(
      () => parseSystemReportFiles({ files: new Map() }),
      (error: unknown) => {
        assert.ok(error instanceof IngestError);
        assert.equal(error.code, 'HYDRASTOR_REPORT_NO_SYSTEM_CSV');
        assert.equal(error.expose, true);
        assert.equal(error.transient, false);
        return true;
      },
    );
    await assert.rejects(async () => parseSystemReportFiles({ files: without(await fixtureFiles(), 'system.csv') }), /no system\.csv/);
  });

  it('fails when system.csv has no serial number', async () => {
    const files = replaceLine(await fixtureFiles(), 'system.csv', ',8A5-000123,', ',,');
    assert.throws(
      () => parseSystemReportFiles({ files }),
      (error: unknown) => {
        assert.ok(error instanceof IngestError);
        assert.equal(error.code, 'HYDRASTOR_REPORT_INCOMPLETE');
        assert.match(error.message, /system\.csv:2: .*serial number/);
        return true;
      },
    );
  });

  it('reports bad values with file:line and keeps the rest of the row and file', async () => {
    let files = replaceLine(
      await fixtureFiles(),
      'nodes.csv',
      'SN001,SN,Normal,SN2301B0101,HS8-5000,5.5.2,10.20.1.1,12,12',
      'SN001,XN,Normal,SN2301B0101,HS8-5000,5.5.2,10.20.1.1,twelve,12',
    );
    files = replaceLine(files, 'nodes.csv', 'SN003,SN', ',SN');
    files = replaceLine(files, 'filesystems.csv', '2596963854267482', '2.5e15');
    const report = parseSystemReportFiles({ files });
    assert.deepEqual(issuesOf(report), [
      'nodes.csv:4: node_type: unexpected value "XN" (kept)',
      'nodes.csv:4: disks_total: "twelve" is not an integer; stored as null, kept raw in extra',
      'nodes.csv:6: node row without node_name; skipped',
      'filesystems.csv:2: logical_used_bytes: "2.5e15" is not a size in bytes; stored as null, kept raw in extra',
    ]);
    assert.deepEqual(
      report.issues.map((issue) => issue.raw ?? null),
      [null, 'twelve', null, '2.5e15'],
    );
    assert.deepEqual(
      report.nodes.map((node) => node.name),
      ['AN001', 'AN002', 'SN001', 'SN002'],
    );
    assert.equal(report.nodes[2]?.disksTotal, null);
    assert.equal(report.nodes[2]?.disksOk, 12);
    assert.equal(report.filesystems[0]?.logicalUsedBytes, null);
    assert.equal(report.filesystems[0]?.physicalUsedBytes, 185497418161963n);
    assert.equal(report.nodes[2]?.extra['disks_total'], 'twelve', 'the unreadable value is kept raw in the row');
    assert.equal(report.filesystems[0]?.extra['logical_used_bytes'], '2.5e15');
  });

  // formats spec §3 "Also seen in real NetBackup output": blank and fractional values (the rule is
  // stated for NetBackup; issue #11 item 8 asks the same of the HYDRAstor parsers' numbers).
  it('stores a blank number as null without an issue, and keeps a fractional integer raw with an issue', async () => {
    let files = replaceLine(
      await fixtureFiles(),
      'nodes.csv',
      'SN001,SN,Normal,SN2301B0101,HS8-5000,5.5.2,10.20.1.1,12,12',
      'SN001,SN,Normal,SN2301B0101,HS8-5000,5.5.2,10.20.1.1, ,11.5',
    );
    files = replaceLine(files, 'system.csv', ',8A5-000123,', ',8A5-000123,');
    const report = parseSystemReportFiles({ files });
    const node = report.nodes.find((candidate) => candidate.name === 'SN001');
    assert.equal(node?.disksTotal, null, 'a single space is blank: null, not 0');
    assert.equal(node?.disksOk, null, '11.5 does not fit an integer column');
    assert.equal(node?.extra['disks_ok'], '11.5');
    assert.equal(node?.extra['disks_total'], undefined, 'a blank value is not an issue and not kept');
    assert.deepEqual(
      report.issues.map((issue) => [formatParseIssue(issue), issue.raw]),
      [['nodes.csv:4: disks_ok: "11.5" is not an integer; stored as null, kept raw in extra', '11.5']],
    );
  });

  it('keeps the first of duplicate rows (one upsert statement must not touch a key twice)', async () => {
    const files = await fixtureFiles();
    const nodes = files.get('nodes.csv') ?? '';
    const duplicated = new Map(files).set('nodes.csv', `${nodes}SN002,SN,Normal,X,HS8-5000,5.5.2,10.20.1.9,12,12,OK,OK,OK\n`);
    const report = parseSystemReportFiles({ files: duplicated });
    assert.equal(report.nodes.length, 5);
    assert.equal(report.nodes[3]?.status, 'Degraded');
    assert.deepEqual(issuesOf(report), ['nodes.csv:7: duplicate node SN002; the first one is kept']);
  });

  it("reads times without an offset in the report's own zone, else the caller's, else UTC, and says so", async () => {
    const files = await fixtureFiles();
    const naive = mapValues(files, (text) => text.replaceAll('+09:00', ''));
    const ownZone = parseSystemReportFiles({ files: naive });
    assert.equal(ownZone.system.reportTime.toISOString(), '2023-01-13T03:00:00.000Z');
    assert.equal(ownZone.activeAlerts[0]?.occurredAt.toISOString(), '2023-01-12T09:00:00.000Z');
    assert.ok(issuesOf(ownZone).includes('system.csv:2: report_time has no UTC offset; read as Asia/Tokyo'));

    const noZoneColumn = replaceLine(naive, 'system.csv', ',Asia/Tokyo', ',');
    const callerZone = parseSystemReportFiles({ files: noZoneColumn, timezone: 'Asia/Tokyo' });
    assert.equal(callerZone.system.reportTime.toISOString(), '2023-01-13T03:00:00.000Z');
    assert.equal(callerZone.system.timezone, null);

    const utc = parseSystemReportFiles({ files: noZoneColumn });
    assert.equal(utc.system.reportTime.toISOString(), '2023-01-13T12:00:00.000Z');
    assert.ok(issuesOf(utc).includes('capacity.csv:2: report_time has no UTC offset; read as UTC'));
  });

  it('ignores an unknown time zone in system.csv with an issue', async () => {
    const files = replaceLine(await fixtureFiles(), 'system.csv', 'Asia/Tokyo', 'Mars/Base');
    const report = parseSystemReportFiles({ files, timezone: 'Asia/Tokyo' });
    assert.equal(report.system.timezone, null);
    assert.deepEqual(issuesOf(report), ['system.csv:2: timezone: "Mars/Base" is not a known IANA time zone; ignored']);
  });

  it('reads files that start with a UTF-8 byte order mark the same', async () => {
    const files = await fixtureFiles();
    const withBom = mapValues(files, (text) => `\uFEFF${text}`);
    assert.deepEqual(parseSystemReportFiles({ files: withBom }), parseSystemReportFiles({ files }));
  });
});
