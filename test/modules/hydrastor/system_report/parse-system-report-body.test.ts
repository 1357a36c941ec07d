import assert from 'node:assert/strict';
import { simpleParser } from 'mailparser';
import { formatParseIssue } from '../../../../src/modules/parse-issue.js';
import { parseSystemReportBody } from '../../../../src/modules/hydrastor/system_report/parse-system-report-body.js';
import { parseSystemReportFiles } from '../../../../src/modules/hydrastor/system_report/parse-system-report-files.js';
import { IngestError } from '../../../../src/core/ingest-error.js';
import { readFixtureMail, readReportFiles } from '../support/mail-fixtures.js';

const GIB = 1n << 30n;

async function bodyOnlyText(): Promise<string> {
  const text = (await readFixtureMail('system_report_body_only.eml')).text;
  assert.ok(text !== undefined);
  return text;
}

/** Quoted-printable of arbitrary bytes, with soft line breaks, as a mail client would send it. */
function toQuotedPrintable(bytes: Buffer): string {
  const MAX_LINE = 72;
  const lines: string[] = [];
  for (const line of bytes.toString('latin1').split('\n')) {
    let encoded = '';
    for (let index = 0; index < line.length; index += 1) {
      const code = line.charCodeAt(index);
      const isLast = index === line.length - 1;
      const plain = (code >= 33 && code <= 126 && code !== 61) || (code === 32 && !isLast);
      encoded += plain ? line[index] : `=${code.toString(16).toUpperCase().padStart(2, '0')}`;
    }
    while (encoded.length > MAX_LINE) {
      // Never split an =XX escape (every "=" in the encoded text starts one).
      const escapeStart = encoded.lastIndexOf('=', MAX_LINE - 1);
      const cut = escapeStart > MAX_LINE - 3 ? escapeStart : MAX_LINE;
      lines.push(`${encoded.slice(0, cut)}=`);
      encoded = encoded.slice(cut);
    }
    lines.push(encoded);
  }
  return lines.join('\r\n');
}

function mailWithBody(args: { contentType: string; encoding: string; body: string }): string {
  return [
    'From: HYDRAstor icecream_machine <hydrastor@icecream-machine.example>',
    'To: bobs_burgers@ingest.hview.example',
    'Subject: [HYDRAstor] System Report: icecream_machine (S/N 8A5-000123) 2023-01-15',
    'MIME-Version: 1.0',
    `Content-Type: ${args.contentType}`,
    `Content-Transfer-Encoding: ${args.encoding}`,
    '',
    args.body,
  ].join('\r\n');
}

describe('parseSystemReportBody', () => {
  it('reads the body-only fixture completely', async () => {
    const report = parseSystemReportBody({ text: await bodyOnlyText() });
    assert.deepEqual(report.issues, []);
    assert.equal(report.source, 'body');
    assert.deepEqual(report.system, {
      name: 'icecream_machine',
      serialNumber: '8A5-000123',
      model: 'HS8-5000',
      softwareVersion: '5.5.2',
      reportTime: new Date('2023-01-15T03:00:00Z'),
      overallStatus: 'Warning',
      resiliencyLevel: 3,
      timezone: null,
      extra: {},
    });
    assert.deepEqual(report.capacity, {
      reportTime: new Date('2023-01-15T03:00:00Z'),
      physicalTotalBytes: 1036800n * GIB,
      physicalUsedBytes: (68366477n * GIB + 50n) / 100n,
      physicalFreeBytes: (35313523n * GIB + 50n) / 100n,
      logicalUsedBytes: (1025497151n * GIB + 50n) / 100n,
      dedupeRatio: 14.9,
      extra: { 'Physical Usage (%)': '65.94' },
    });
    assert.deepEqual(
      report.nodes.map((node) => [node.name, node.type, node.status, node.serialNumber, node.disksOk, node.disksTotal]),
      [
        ['AN001', 'AN', 'Normal', 'SN2301A0011', 2, 2],
        ['AN002', 'AN', 'Normal', 'SN2301A0012', 2, 2],
        ['SN001', 'SN', 'Normal', 'SN2301B0101', 12, 12],
        ['SN002', 'SN', 'Degraded', 'SN2301B0102', 11, 12],
        ['SN003', 'SN', 'Normal', 'SN2301B0103', 12, 12],
      ],
    );
    assert.equal(report.nodes[0]?.softwareVersion, '5.5.2');
    assert.deepEqual(report.filesystems, []);
    assert.deepEqual(report.replication, [
      {
        sourceFs: 'ost_lsu_prod01',
        targetSystem: 'dr_grid',
        targetSerial: null,
        targetFs: 'ost_lsu_prod01',
        state: 'Normal',
        lastSyncTime: new Date('2023-01-15T02:52:00Z'),
        backlogBytes: 0n,
        extra: {},
      },
    ]);
    assert.deepEqual(report.activeAlerts, [
      {
        occurredAt: new Date('2023-01-14T09:00:00Z'),
        severity: 'WARNING',
        eventId: 'HS-E10431',
        node: 'SN002',
        component: null,
        message: 'Disk failure detected, rebuild started',
        extra: {},
      },
    ]);
  });

  it('agrees with the attachment of the same mail on what both carry', async () => {
    const mail = await readFixtureMail('system_report.eml');
    const fromBody = parseSystemReportBody({ text: mail.text });
    const fromFiles = parseSystemReportFiles({ files: await readReportFiles(mail) });
    assert.equal(fromBody.system.serialNumber, fromFiles.system.serialNumber);
    assert.equal(fromBody.system.reportTime.getTime(), fromFiles.system.reportTime.getTime());
    assert.equal(fromBody.capacity?.physicalTotalBytes, fromFiles.capacity?.physicalTotalBytes);
    assert.deepEqual(
      fromBody.nodes.map((node) => [node.name, node.disksOk]),
      fromFiles.nodes.map((node) => [node.name, node.disksOk]),
    );
    assert.deepEqual(
      fromBody.activeAlerts.map((alert) => alert.eventId),
      fromFiles.activeAlerts.map((alert) => alert.eventId),
    );
  });

  it('reads CRLF line endings the same', async () => {
    const text = await bodyOnlyText();
    assert.deepEqual(parseSystemReportBody({ text: text.replace(/\r?\n/g, '\r\n') }), parseSystemReportBody({ text }));
  });

  it('reads a quoted-printable ISO-8859-1 body once mailparser has decoded it', async () => {
    const text = (await bodyOnlyText()).replace('Resiliency Level     : 3', 'Resiliency Level     : 3\nSite                 : Zürich Süd');
    const source = mailWithBody({
      contentType: 'text/plain; charset="iso-8859-1"',
      encoding: 'quoted-printable',
      body: toQuotedPrintable(Buffer.from(text, 'latin1')),
    });
    assert.match(source, /Z=FCrich S=FCd/);
    const mail = await simpleParser(source);
    const report = parseSystemReportBody({ text: mail.text });
    assert.deepEqual(report.system.extra, { Site: 'Zürich Süd' });
    assert.equal(report.nodes.length, 5);
    assert.equal(report.replication[0]?.lastSyncTime?.toISOString(), '2023-01-15T02:52:00.000Z');
    assert.deepEqual(report.issues, []);
  });

  it('reads a base64 body the same as the fixture', async () => {
    const text = await bodyOnlyText();
    const base64 = Buffer.from(text, 'utf8').toString('base64').replace(/.{76}/g, '$&\r\n');
    const mail = await simpleParser(mailWithBody({ contentType: 'text/plain; charset=utf-8', encoding: 'base64', body: base64 }));
    assert.deepEqual(parseSystemReportBody({ text: mail.text }), parseSystemReportBody({ text }));
  });

  it('falls back to the HTML part when there is no text', async () => {
    const text = await bodyOnlyText();
    const html = `<html><body><pre>${text.replaceAll('&', '&amp;').replaceAll('<', '&lt;')}</pre></body></html>`;
    const report = parseSystemReportBody({ text: undefined, html });
    assert.deepEqual(report, parseSystemReportBody({ text }));
  });

  it('lists unknown sections, reports missing required ones and accepts "None" alerts', async () => {
    const text = (await bodyOnlyText())
      .replace(/\[Nodes\][\s\S]*?\n\n/, '')
      .replace(/\[Active Alerts\][\s\S]*$/, '[Active Alerts]\n(none)\n\n[Performance]\nThroughput : 1 GB/s\n');
    const report = parseSystemReportBody({ text });
    assert.deepEqual(report.nodes, []);
    assert.deepEqual(report.activeAlerts, []);
    assert.deepEqual(report.ignored, ['[Performance]']);
    assert.deepEqual(report.issues.map(formatParseIssue), ['body: section [Nodes] missing']);
  });

  it('reads an active alerts table with a heading row, and a [File Systems] section', async () => {
    const text = (await bodyOnlyText()).replace(
      /\[Active Alerts\][\s\S]*$/,
      [
        '[File Systems]',
        'File System     Protocol  State   Logical Used (TiB)  Physical Used (GiB)  Dedupe Ratio',
        'ost_lsu_prod01  OST       Normal  2.5                 1024.00              14.0 : 1',
        '',
        '[Active Alerts]',
        'Occurred At                Severity  Event ID   Node   Component  Message',
        '2023-01-14 18:00:00 +0900  CRITICAL  HS-E20001  -      System     Grid degraded',
        '',
      ].join('\n'),
    );
    const report = parseSystemReportBody({ text });
    assert.deepEqual(report.issues, []);
    assert.deepEqual(report.filesystems, [
      {
        name: 'ost_lsu_prod01',
        protocol: 'OST',
        state: 'Normal',
        logicalUsedBytes: (25n << 40n) / 10n,
        physicalUsedBytes: 1024n * GIB,
        dedupeRatio: 14,
        quotaBytes: null,
        extra: {},
      },
    ]);
    assert.deepEqual(report.activeAlerts, [
      {
        occurredAt: new Date('2023-01-14T09:00:00Z'),
        severity: 'CRITICAL',
        eventId: 'HS-E20001',
        node: null,
        component: 'System',
        message: 'Grid degraded',
        extra: {},
      },
    ]);
  });

  it('reports an unreadable alert line and a bad capacity value, keeping the rest', async () => {
    const text = (await bodyOnlyText())
      .replace('Physical Capacity Free  (GiB) : 353135.23', 'Physical Capacity Free  (GiB) : lots')
      .replace(/(\[Active Alerts\]\n.*\n)/, '$1garbage line\n');
    const report = parseSystemReportBody({ text });
    assert.equal(report.capacity?.physicalFreeBytes, null);
    assert.equal(report.capacity?.physicalTotalBytes, 1036800n * GIB);
    assert.equal(report.activeAlerts.length, 1);
    assert.deepEqual(report.issues.map(formatParseIssue), [
      'body:33: unreadable active alert line; skipped',
      'body:14: physical_free_bytes: "lots" is not a size in bytes; stored as null, kept raw in extra',
    ]);
  });

  it('reads a report time without an offset in the given zone', async () => {
    const text = (await bodyOnlyText()).replace('2023-01-15 12:00:00 +0900', '2023-01-15 12:00:00');
    const report = parseSystemReportBody({ text, timezone: 'Asia/Tokyo' });
    assert.equal(report.system.reportTime.toISOString(), '2023-01-15T03:00:00.000Z');
    assert.match(formatParseIssue(report.issues[0] ?? { file: '', line: null, message: '' }), /report_time has no UTC offset; read as Asia\/Tokyo/);
  });

  it('stays fast on hostile runs of whitespace', () => {
    const spaces = ' '.repeat(200_000);
    const text = [
      'System Name : a',
      'System Serial Number : b',
      'Report Time : 2023-01-13 12:00:00 +0900',
      '[Capacity]',
      `Physical Capacity Total (GiB) :${spaces}x`,
      '[Nodes]',
      'Node  Type',
      `${spaces}x${spaces}y`,
      '[Active Alerts]',
      `${spaces}x${spaces}`,
      `2023-01-13 12:00:00${spaces}x`,
    ].join('\n');
    const started = performance.now();
    const report = parseSystemReportBody({ text });
    assert.ok(performance.now() - started < 1000, 'whitespace made the parser slow');
    assert.equal(report.system.serialNumber, 'b');
    assert.equal(report.capacity?.physicalTotalBytes, null);
  });

  it('fails with a clear error on a text that is not a report', async () => {
    const mail = await readFixtureMail('unclassified.eml');
    assert.throws(
      () => parseSystemReportBody({ text: mail.text }),
      (error: unknown) => {
        assert.ok(error instanceof IngestError);
        assert.equal(error.code, 'HYDRASTOR_REPORT_INCOMPLETE');
        assert.match(error.message, /system name, serial number, report time/);
        return true;
      },
    );
  });
});
