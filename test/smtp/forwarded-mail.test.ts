import assert from 'node:assert/strict';
import { sql } from 'kysely';
import type { JobRow, JobStatus } from '../../src/db/database-schema.js';
import { apiClient } from '../support/http-client.js';
import { hydrastorDb, startHydrastorService } from '../modules/hydrastor/support/hydrastor-test-service.js';
import { TEST_ADMIN_KEY, type TestService } from '../support/start-test-service.js';
import { INGEST_DOMAIN, fixtureMessage, sendWithNodemailer } from '../support/smtp-test-helpers.js';
import { readJobManifest } from '../../src/db/job-manifest.js';

const ENDED: readonly JobStatus[] = ['succeeded', 'failed', 'timed_out', 'cancelled', 'unclassified'];

/**
 * Forwarded HYDRAstor mail over real SMTP into real PostgreSQL, through both ways to durable: the
 * spool (small mail split in memory before the 250) and the folder path (spool off).
 */
for (const path of ['spool', 'folder'] as const) {
  describe(`forwarded HYDRAstor mail over SMTP, end to end (${path} path)`, function () {
    this.timeout(60_000);
    let t: TestService;
    let port: number;

    before(async () => {
      t = await startHydrastorService(['fwd_report', 'fwd_alert'], { smtp: { customerCacheSeconds: 0 }, spool: { enabled: path === 'spool' } });
      assert.ok(t.service.smtpAddress !== null);
      port = t.service.smtpAddress.port;
    });
    after(async () => {
      await t?.stop();
    });

    async function deliver(customer: string, fixture: string): Promise<JobRow> {
      const sent = await sendWithNodemailer({
        port,
        from: 'ops@bobsburgers.example',
        to: [`${customer}@${INGEST_DOMAIN}`],
        raw: await fixtureMessage(fixture),
      });
      assert.equal(sent.code, 250, sent.response);
      assert.equal(sent.jobIds.length, 1, sent.response);
      const done = await t.waitForStatus(sent.jobIds[0]!, ENDED);
      assert.equal(done.status, 'succeeded', `${fixture}: ${done.error_code}: ${done.error_message}`);
      assert.equal(readJobManifest(done).spool !== undefined, path === 'spool', 'went the way this suite is about');
      return done;
    }

    it('Outlook FW of a system report: loaded from the inner attachment; the job detail shows it was forwarded', async () => {
      const done = await deliver('fwd_report', 'forwarded_outlook_system_report.eml');
      assert.equal(`${done.category}/${done.type}/${done.group_name}`, 'hydrastor/system_report/icecream_machine');
      const grid = await hydrastorDb(t).selectFrom('hydrastor_grids').selectAll().where('customer', '=', 'fwd_report').executeTakeFirstOrThrow();
      assert.deepEqual([grid.serial_number, grid.name, grid.last_job_id], ['8A5-000123', 'icecream_machine', done.id]);
      const snapshot = await hydrastorDb(t)
        .selectFrom('hydrastor_capacity_snapshots')
        .select(['source', 'physical_used_bytes'])
        .where('grid_id', '=', grid.id)
        .executeTakeFirstOrThrow();
      assert.deepEqual(snapshot, { source: 'attachment', physical_used_bytes: '734079453997893' });

      const detail = await apiClient(t.service.httpUrl ?? '', TEST_ADMIN_KEY).get(`/api/1.0/jobs/${done.id}`);
      assert.equal(detail.status, 200, detail.text);
      assert.equal(detail.body.hints.forwarded, '1');
      assert.equal(detail.body.hints.subject, '[HYDRAstor] System Report: icecream_machine (S/N 8A5-000123) 2023-01-13');
      assert.equal(detail.body.hints.outerFrom, '"Linda Belcher" <linda@bobsburgers.example>');
      const files = (detail.body.files as Array<{ name: string; role?: string; originalName?: string }>).map((file) => [
        file.name,
        file.role,
        file.originalName ?? null,
      ]);
      assert.deepEqual(
        files.filter(([name]) => String(name).startsWith('forwarded-')),
        [
          ['forwarded-headers.txt', 'forwarded-headers', null],
          ['forwarded-attachment-1.bin', 'forwarded-attachment', 'HSSysReport_8A5-000123_20230113T120000+0900.tar.gz'],
          ['forwarded-body.txt', 'forwarded-body', null],
        ],
      );
    });

    it('Exchange-forwarded windows-1252 alert (base64 message/rfc822): names stored as UTF-8, byte for byte', async () => {
      const done = await deliver('fwd_alert', 'forwarded_exchange_base64_alert.eml');
      assert.equal(`${done.type}/${done.group_name}`, 'alert/n\u0153ud-3');
      const rows = await sql<{ grid: string; node: string }>`
        SELECT encode(convert_to(g.name, 'UTF8'), 'hex') AS grid, encode(convert_to(a.node_name, 'UTF8'), 'hex') AS node
        FROM hydrastor_alerts a JOIN hydrastor_grids g ON g.id = a.grid_id WHERE g.customer = 'fwd_alert'`.execute(t.service.database.db);
      assert.deepEqual(rows.rows, [{ grid: Buffer.from('K\u00fchlschrank_grid').toString('hex'), node: Buffer.from('n\u0153ud-3').toString('hex') }]);
      assert.equal(rows.rows[0]?.node, '6ec59375642d33', 'œ is c5 93 in UTF-8 (9c in windows-1252)');
    });
  });
}
