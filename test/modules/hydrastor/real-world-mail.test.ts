import assert from 'node:assert/strict';
import { sql } from 'kysely';
import type { TestService } from '../../support/start-test-service.js';
import { readFixtureMail } from './support/mail-fixtures.js';
import { acceptMail, hydrastorDb, ingestMail, startHydrastorService, toCrlf, waitForJobLog } from './support/hydrastor-test-service.js';
import { fixtureText, withAttachment } from './support/report-mail-variants.js';

const KUEHLSCHRANK = 'K\u00fchlschrank_grid';
const NOEUD = 'n\u0153ud-3';
const CUSTOMERS = [
  'fw_outlook',
  'fw_direct',
  'fw_thunderbird',
  'fw_exchange',
  'cs_1252',
  'cs_latin1',
  'cs_report',
  'cs_undeclared',
  'cs_unknown',
  'uc_tgz',
  'uc_zip',
  'uc_targz',
  'fw_upper',
];

/** A text's UTF-8 bytes as hex: what the stored value must be, byte for byte. */
function utf8Hex(text: string): string {
  return Buffer.from(text, 'utf8').toString('hex');
}

/** windows-1252 bytes of a text that only needs Latin-1 letters plus œ (the one character here outside Latin-1). */
function windows1252(text: string): Buffer {
  return Buffer.from(
    [...text].map((character) => {
      if (character === '\u0153') return 0x9c;
      const code = character.codePointAt(0) ?? 0;
      if (code > 0xff) throw new Error(`no windows-1252 byte for ${character} in this helper`);
      return code;
    }),
  );
}

/** The body of a fixture whose body is quoted-printable UTF-8, decoded. */
function decodedQuotedPrintableBody(raw: string): { headers: string; body: string } {
  const split = raw.indexOf('\n\n');
  const qp = raw.slice(split + 2).replace(/=\r?\n/g, '');
  const bytes = Buffer.from(
    qp.replace(/=([0-9A-F]{2})/g, (_match, hex: string) => String.fromCharCode(Number.parseInt(hex, 16))),
    'latin1',
  );
  return { headers: raw.slice(0, split), body: bytes.toString('utf8') };
}

function base64Lines(bytes: Buffer): string {
  return bytes.toString('base64').replace(/.{76}/g, '$&\n');
}

describe('HYDRAstor mail as it really arrives: forwarded, in other charsets, upper-case attachment names (real pipeline, real PostgreSQL)', function () {
  this.timeout(30_000);
  let t: TestService;
  before(async () => {
    t = await startHydrastorService(CUSTOMERS);
  });
  after(async () => {
    await t?.stop();
  });

  const db = () => hydrastorDb(t);
  const gridOf = (customer: string) => db().selectFrom('hydrastor_grids').selectAll().where('customer', '=', customer).executeTakeFirstOrThrow();
  const hexOf = async (table: 'hydrastor_grids' | 'hydrastor_nodes' | 'hydrastor_alerts', column: string, gridId: string): Promise<string[]> => {
    const key = table === 'hydrastor_grids' ? 'id' : 'grid_id';
    const rows = await sql<{
      hex: string;
    }>`SELECT encode(convert_to(${sql.ref(column)}, 'UTF8'), 'hex') AS hex FROM ${sql.table(table)} WHERE ${sql.ref(key)} = ${gridId} ORDER BY 1`.execute(
      t.service.database.db,
    );
    return rows.rows.map((row) => row.hex);
  };

  async function succeeded(customer: string, raw: string | Buffer) {
    const { accepted, done } = await ingestMail(t, { customer, raw });
    assert.equal(done.status, 'succeeded', `${done.error_code}: ${done.error_message}`);
    return { accepted, done };
  }

  describe('forwarded as a message/rfc822 attachment', () => {
    it('Outlook FW of a system report: the inner report is loaded exactly as if it had come directly, and the job says it was forwarded', async () => {
      const direct = await succeeded('fw_direct', toCrlf(await fixtureText('system_report.eml')));
      const { accepted, done } = await succeeded('fw_outlook', toCrlf(await fixtureText('forwarded_outlook_system_report.eml')));
      assert.equal(`${accepted.category}/${accepted.type}/${accepted.group_name}`, 'hydrastor/system_report/icecream_machine');
      assert.deepEqual(done.stats, direct.done.stats);
      const hints = (done.manifest as { hints: Record<string, string> }).hints;
      assert.deepEqual(
        [hints['forwarded'], hints['subject'], hints['outerSubject']],
        [
          '1',
          '[HYDRAstor] System Report: icecream_machine (S/N 8A5-000123) 2023-01-13',
          'FW: [HYDRAstor] System Report: icecream_machine (S/N 8A5-000123) 2023-01-13',
        ],
      );
      const line = await waitForJobLog(t, done.id, (text) => text.includes('system report read'));
      assert.match(line, /"source":"attachment"/);
      assert.match(line, /"forwarded":1/);

      const [grid, directGrid] = [await gridOf('fw_outlook'), await gridOf('fw_direct')];
      assert.deepEqual([grid.serial_number, grid.name, grid.last_report_time], [directGrid.serial_number, directGrid.name, directGrid.last_report_time]);
      const nodes = (gridId: string) =>
        db()
          .selectFrom('hydrastor_nodes')
          .select(['node_name', 'status', 'disks_ok', 'disks_total'])
          .where('grid_id', '=', gridId)
          .orderBy('node_name')
          .execute();
      assert.deepEqual(await nodes(grid.id), await nodes(directGrid.id));
      const snapshots = (gridId: string) =>
        db().selectFrom('hydrastor_capacity_snapshots').select(['report_time', 'physical_used_bytes', 'source']).where('grid_id', '=', gridId).execute();
      assert.deepEqual(await snapshots(grid.id), await snapshots(directGrid.id));
    });

    it('Thunderbird "Fwd: report" (a subject that names nothing): classified and parsed from the inner alert', async () => {
      const { accepted } = await succeeded('fw_thunderbird', toCrlf(await fixtureText('forwarded_thunderbird_alert.eml')));
      assert.equal(`${accepted.category}/${accepted.type}/${accepted.group_name}`, 'hydrastor/alert/SN002');
      const alerts = await db()
        .selectFrom('hydrastor_alerts')
        .selectAll()
        .where('grid_id', '=', (await gridOf('fw_thunderbird')).id)
        .execute();
      assert.deepEqual(
        alerts.map((row) => [row.event_id, row.node_name, row.severity, row.occurred_at, row.message]),
        [['HS-E10431', 'SN002', 'WARNING', new Date('2023-01-13T02:42:00Z'), 'Disk failure detected. Data rebuild started.']],
      );
      await waitForJobLog(t, accepted.id, (text) => text.includes('alert read from a forwarded message'));
    });

    it('Exchange (base64 message/rfc822, windows-1252 inside): grid and node stored as UTF-8, byte for byte', async () => {
      const { accepted } = await succeeded('fw_exchange', toCrlf(await fixtureText('forwarded_exchange_base64_alert.eml')));
      assert.equal(`${accepted.type}/${accepted.group_name}`, `alert/${NOEUD}`);
      const grid = await gridOf('fw_exchange');
      assert.deepEqual(await hexOf('hydrastor_grids', 'name', grid.id), [utf8Hex(KUEHLSCHRANK)]);
      assert.deepEqual(await hexOf('hydrastor_alerts', 'node_name', grid.id), [utf8Hex(NOEUD)]);
      assert.deepEqual(await hexOf('hydrastor_alerts', 'component', grid.id), [utf8Hex('Disk (slot 3, K\u00fchlraum)')]);
    });
  });

  describe('non-ASCII names in a declared charset', () => {
    it('windows-1252 (base64 body, RFC 2047 B subject): Kühlschrank_grid / nœud-3', async () => {
      const { accepted } = await succeeded('cs_1252', toCrlf(await fixtureText('alert_windows1252_names.eml')));
      assert.equal(accepted.group_name, NOEUD);
      const grid = await gridOf('cs_1252');
      assert.deepEqual(
        [await hexOf('hydrastor_grids', 'name', grid.id), await hexOf('hydrastor_alerts', 'node_name', grid.id)],
        [[utf8Hex(KUEHLSCHRANK)], [utf8Hex(NOEUD)]],
      );
    });

    it('ISO-8859-1 (quoted-printable body, RFC 2047 Q subject): Kühlschrank_grid / Kühlraum-2', async () => {
      const { accepted } = await succeeded('cs_latin1', toCrlf(await fixtureText('alert_iso8859_1_names.eml')));
      assert.equal(accepted.group_name, 'K\u00fchlraum-2');
      const grid = await gridOf('cs_latin1');
      assert.deepEqual(
        [await hexOf('hydrastor_grids', 'name', grid.id), await hexOf('hydrastor_alerts', 'node_name', grid.id)],
        [[utf8Hex(KUEHLSCHRANK)], [utf8Hex('K\u00fchlraum-2')]],
      );
    });

    it('a body-only system report in windows-1252: grid and node names stored as UTF-8', async () => {
      const { headers, body } = decodedQuotedPrintableBody(await fixtureText('system_report_body_only.eml'));
      // Same lengths as the names they replace, so the aligned tables stay aligned.
      const renamed = body.replaceAll('icecream_machine', KUEHLSCHRANK).replaceAll('SN003', 'n\u0153ud');
      const raw = Buffer.concat([
        Buffer.from(
          `${headers
            .replace(
              /^Subject:.*(?:\n[ \t].*)*/m,
              'Subject: =?windows-1252?Q?[HYDRAstor]_System_Report:_K=FChlschrank=5Fgrid?=\n =?windows-1252?Q?_(S/N_8A5-000123)_2023-01-15?=',
            )
            .replace('Content-Type: text/plain; charset="utf-8"', 'Content-Type: text/plain; charset=windows-1252')
            .replace('Content-Transfer-Encoding: quoted-printable', 'Content-Transfer-Encoding: base64')}\n\n`,
        ),
        Buffer.from(base64Lines(windows1252(renamed))),
      ]);
      const { accepted, done } = await succeeded('cs_report', toCrlf(raw.toString('latin1')));
      assert.equal(`${accepted.type}/${accepted.group_name}`, `system_report/${KUEHLSCHRANK}`);
      assert.equal((done.stats as Record<string, number>)['hydrastor_nodes'], 5);
      const grid = await gridOf('cs_report');
      assert.deepEqual(await hexOf('hydrastor_grids', 'name', grid.id), [utf8Hex(KUEHLSCHRANK)]);
      assert.ok((await hexOf('hydrastor_nodes', 'node_name', grid.id)).includes(utf8Hex('n\u0153ud')));
    });

    it('8-bit text without a usable charset is refused with HYDRASTOR_TEXT_UNDECODABLE, never stored with U+FFFD', async () => {
      const latin1Alert = (await fixtureText('alert_windows1252_names.eml')).replace(/\nContent-Type:[\s\S]*$/, '');
      const body = windows1252(
        'HYDRAstor Alert Notification\nSystem Name          : K\u00fchlschrank_grid\nSystem Serial Number : 8A5-000778\nEvent ID             : HS-E10431\nSeverity             : ERROR\nEvent Type           : Occurred\nDate/Time            : 2023-01-13 11:42:00 +0100\nNode                 : n\u0153ud-3\n',
      );
      for (const [customer, contentType] of [
        ['cs_undeclared', 'text/plain'],
        ['cs_unknown', 'text/plain; charset=x-no-such-charset'],
      ] as const) {
        const raw = Buffer.concat([Buffer.from(`${latin1Alert}\nContent-Type: ${contentType}\nContent-Transfer-Encoding: 8bit\n\n`), body]);
        const { done } = await ingestMail(t, { customer, raw: Buffer.from(toCrlf(raw.toString('latin1')), 'latin1') });
        assert.equal(done.status, 'failed', customer);
        assert.equal(done.error_code, 'HYDRASTOR_TEXT_UNDECODABLE');
        assert.match(done.error_message ?? '', /U\+FFFD in grid: "K\uFFFDhlschrank_grid"/);
        assert.equal(await db().selectFrom('hydrastor_grids').select('id').where('customer', '=', customer).executeTakeFirst(), undefined, 'nothing stored');
      }
    });
  });

  describe('report attachments named in upper case', () => {
    const cases = [
      { customer: 'uc_tgz', filename: 'HSSysReport_8A5-000123_20230113T120000+0900.TGZ', fixture: 'system_report.eml' },
      { customer: 'uc_targz', filename: 'HSSYSREPORT_8A5-000123_20230113T120000+0900.TAR.GZ', fixture: 'system_report.eml' },
      { customer: 'uc_zip', filename: 'HSSysReport_8A5-000123_20230114T120000+0900.ZIP', fixture: 'system_report_zip.eml' },
    ];
    for (const { customer, filename, fixture } of cases) {
      it(`${filename.slice(filename.indexOf('.'))} typed application/octet-stream is read as the report archive`, async () => {
        const [attachment] = (await readFixtureMail(fixture)).attachments;
        assert.ok(attachment !== undefined);
        const raw = withAttachment(await fixtureText(fixture), { filename, contentType: 'application/octet-stream', content: attachment.content });
        const { done } = await succeeded(customer, toCrlf(raw));
        const snapshot = await db()
          .selectFrom('hydrastor_capacity_snapshots')
          .select('source')
          .where('grid_id', '=', (await gridOf(customer)).id)
          .executeTakeFirstOrThrow();
        assert.equal(snapshot.source, 'attachment');
        assert.match(
          await waitForJobLog(t, done.id, (text) => text.includes('system report read')),
          new RegExp(`"attachment":"${filename.replace(/[.+]/g, '\\$&')}"`),
        );
      });
    }

    it('inside a forwarded mail too: FW of a report whose archive is .TGZ', async () => {
      const [attachment] = (await readFixtureMail('system_report.eml')).attachments;
      assert.ok(attachment !== undefined);
      const inner = withAttachment(await fixtureText('system_report.eml'), {
        filename: 'REPORT.TGZ',
        contentType: 'application/octet-stream',
        content: attachment.content,
      });
      const outlook = await fixtureText('forwarded_outlook_system_report.eml');
      const innerStart = outlook.indexOf('From: HYDRAstor');
      const innerEnd = outlook.lastIndexOf('\n\n--_002_');
      const raw = `${outlook.slice(0, innerStart)}${inner.replace(/\n$/, '')}${outlook.slice(innerEnd)}`;
      const { accepted, done } = await succeeded('fw_upper', toCrlf(raw));
      assert.equal(accepted.group_name, 'icecream_machine');
      assert.match(await waitForJobLog(t, done.id, (text) => text.includes('system report read')), /"attachment":"REPORT\.TGZ".*"forwarded":1/);
    });
  });

  it("acceptMail helper stays the transport's split (sanity: a direct alert is not marked forwarded)", async () => {
    const { job } = await acceptMail(t, { customer: 'fw_direct', raw: toCrlf(await fixtureText('alert_disk_failure.eml')) });
    assert.equal((job.manifest as { hints: Record<string, string> }).hints['forwarded'], undefined);
  });
});
