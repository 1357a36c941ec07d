import assert from 'node:assert/strict';
import type { TestService } from '../../../support/start-test-service.js';
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
import { fixtureText, withSubject } from '../support/report-mail-variants.js';

const GRID = 'icecream_machine';
const ALERT_AT = new Date('2023-01-13T02:42:00Z');
const RECOVERED_AT = new Date('2023-01-13T05:42:00Z');

const CUSTOMERS = ['bobs_burgers', 'al_reverse', 'al_grid', 'al_again', 'al_utc', 'al_zone', 'al_tolerant', 'al_html', 'al_parallel'];

/** An alert mail built like the fixtures, for variations the fixtures do not cover. */
function alertMail(args: { readonly subject: string; readonly contentType?: string; readonly body: string; readonly messageId: string }): string {
  return [
    'From: HYDRAstor icecream_machine <hydrastor@icecream-machine.example>',
    'To: bobs_burgers@ingest.hview.example',
    `Subject: ${args.subject}`,
    'Date: Fri, 13 Jan 2023 11:42:02 +0900',
    `Message-ID: <${args.messageId}@icecream-machine.example>`,
    `Content-Type: ${args.contentType ?? 'text/plain; charset="utf-8"'}`,
    'Content-Transfer-Encoding: 8bit',
    'MIME-Version: 1.0',
    '',
    args.body,
    '',
  ].join('\n');
}

describe('hydrastor/alert module, through the real pipeline', () => {
  let t: TestService;
  // Several workers, so that an alert and its Recovered mail really run at the same time.
  before(async () => {
    t = await startHydrastorService(CUSTOMERS, { worker: { concurrency: 8 } });
  });
  after(async () => {
    await t?.stop();
  });

  async function alertsOf(customer: string) {
    return hydrastorDb(t)
      .selectFrom('hydrastor_alerts')
      .innerJoin('hydrastor_grids', 'hydrastor_grids.id', 'hydrastor_alerts.grid_id')
      .selectAll('hydrastor_alerts')
      .where('hydrastor_grids.customer', '=', customer)
      .orderBy('hydrastor_alerts.id')
      .execute();
  }

  it('opens one alert from alert_disk_failure.eml, and alert_recovered.eml clears it', async () => {
    const { job } = await acceptMail(t, { customer: 'bobs_burgers', raw: await fixtureText('alert_disk_failure.eml') });
    assert.equal(`${job.category}/${job.type}/${job.group_name}`, 'hydrastor/alert/SN002');
    const done = await t.waitForStatus(job.id, ['succeeded', 'failed']);
    assert.equal(done.status, 'succeeded', `${done.error_code}: ${done.error_message}`);
    assert.deepEqual(done.stats, { hydrastor_grids: 1, hydrastor_alerts: 1, hydrastor_alerts_cleared: 0, parse_issues: 0 });

    const [open, ...others] = await alertsOf('bobs_burgers');
    assert.equal(others.length, 0);
    assert.deepEqual(
      [
        open?.event_id,
        open?.node_name,
        open?.severity,
        open?.event_type,
        open?.occurred_at,
        open?.cleared_at,
        open?.component,
        open?.last_job_id,
        open?.occurred_at_zone_assumed,
      ],
      ['HS-E10431', 'SN002', 'WARNING', 'Occurred', ALERT_AT, null, 'Disk (slot 7)', job.id, null],
    );
    const grid = await hydrastorDb(t).selectFrom('hydrastor_grids').selectAll().where('customer', '=', 'bobs_burgers').executeTakeFirstOrThrow();
    assert.deepEqual([grid.serial_number, grid.name, grid.last_report_time], ['8A5-000123', GRID, null], 'an alert makes the grid known before any report');

    const recovered = await acceptMail(t, { customer: 'bobs_burgers', raw: await fixtureText('alert_recovered.eml') });
    assert.equal(`${recovered.job.type}/${recovered.job.group_name}`, 'alert/SN002');
    const recoveredDone = await t.waitForStatus(recovered.job.id, ['succeeded', 'failed']);
    assert.equal(recoveredDone.status, 'succeeded');
    assert.deepEqual(recoveredDone.stats, { hydrastor_grids: 0, hydrastor_alerts: 1, hydrastor_alerts_cleared: 1, parse_issues: 0 });

    const [alert, recovery] = await alertsOf('bobs_burgers');
    assert.deepEqual(
      [recovery?.event_id, recovery?.event_type, recovery?.clears_event_id, recovery?.severity],
      ['HS-I10432', 'Recovered', 'HS-E10431', 'INFO'],
    );
    assert.deepEqual([alert?.cleared_at, alert?.cleared_by_alert_id, alert?.last_job_id], [RECOVERED_AT, recovery?.id, recovered.job.id]);
  });

  it('keeps a Recovered mail that arrives before its alert and clears the alert when it comes', async () => {
    const recovered = await ingestMail(t, { customer: 'al_reverse', raw: await fixtureText('alert_recovered.eml') });
    assert.equal(recovered.done.status, 'succeeded');
    assert.equal((recovered.done.stats as Record<string, number>)['hydrastor_alerts_cleared'], 0);
    const pending = await alertsOf('al_reverse');
    assert.deepEqual(
      pending.map((row) => [row.event_type, row.clears_event_id]),
      [['Recovered', 'HS-E10431']],
      'the pending clear is kept',
    );

    const alert = await ingestMail(t, { customer: 'al_reverse', raw: await fixtureText('alert_disk_failure.eml') });
    assert.equal(alert.done.status, 'succeeded');
    assert.equal((alert.done.stats as Record<string, number>)['hydrastor_alerts_cleared'], 1);
    const [recovery, occurred] = await alertsOf('al_reverse');
    assert.deepEqual([occurred?.event_id, occurred?.cleared_at, occurred?.cleared_by_alert_id], ['HS-E10431', RECOVERED_AT, recovery?.id]);
  });

  it('never loses a clear when an alert and its Recovered mail are processed at the same time', async () => {
    const PAIRS = 12;
    const mails = Array.from({ length: PAIRS }, (_, index) => {
      const eventId = `HS-E4${String(index).padStart(4, '0')}`;
      const common = ['System Name          : icecream_machine', 'System Serial Number : 8A5-000123', 'Node                 : SN001'];
      return [
        alertMail({
          subject: `[HYDRAstor][ERROR] icecream_machine ${eventId} SN001: Fan failure`,
          messageId: `parallel-${index}-a`,
          body: [
            ...common,
            `Event ID             : ${eventId}`,
            'Severity             : ERROR',
            'Event Type           : Occurred',
            'Date/Time            : 2023-01-13 11:42:00 +0900',
          ].join('\n'),
        }),
        alertMail({
          subject: `[HYDRAstor][INFO] icecream_machine HS-I4${index} SN001: Fan replaced`,
          messageId: `parallel-${index}-r`,
          body: [
            ...common,
            `Event ID             : HS-I4${String(index).padStart(4, '0')}`,
            'Severity             : INFO',
            'Event Type           : Recovered',
            'Date/Time            : 2023-01-13 14:42:00 +0900',
            `Clears Event ID      : ${eventId}`,
          ].join('\n'),
        }),
      ];
    }).flat();
    const accepted = await Promise.all(mails.map((raw) => acceptMail(t, { customer: 'al_parallel', raw })));
    for (const { job } of accepted) assert.equal((await t.waitForStatus(job.id, ['succeeded', 'failed'])).status, 'succeeded');
    const occurred = (await alertsOf('al_parallel')).filter((row) => row.event_type === 'Occurred');
    assert.equal(occurred.length, PAIRS);
    for (const row of occurred) assert.deepEqual(row.cleared_at, RECOVERED_AT, `${row.event_id} is cleared`);
  });

  it('groups a grid-wide event under the grid and stores it without a node', async () => {
    const { job } = await acceptMail(t, { customer: 'al_grid', raw: await fixtureText('alert_grid_capacity.eml') });
    assert.equal(`${job.category}/${job.type}/${job.group_name}`, `hydrastor/alert/${GRID}`);
    assert.equal((await t.waitForStatus(job.id, ['succeeded', 'failed'])).status, 'succeeded');
    const rows = await alertsOf('al_grid');
    assert.deepEqual(
      rows.map((row) => [row.event_id, row.node_name, row.severity, row.cleared_at]),
      [['HS-W30002', null, 'WARNING', null]],
    );
  });

  it('changes nothing when the same alert arrives again', async () => {
    const raw = await fixtureText('alert_disk_failure.eml');
    await ingestMail(t, { customer: 'al_again', raw });
    await ingestMail(t, { customer: 'al_again', raw: await fixtureText('alert_recovered.eml') });
    const before = await hydrastorState(t, 'al_again');
    for (const [tag, mail] of [
      ['alert', raw],
      ['recovered', await fixtureText('alert_recovered.eml')],
    ] as const) {
      const again = await ingestMail(t, { customer: 'al_again', raw: resent(mail, tag) });
      assert.equal(again.done.status, 'succeeded');
      assert.deepEqual(again.done.stats, { hydrastor_grids: 0, hydrastor_alerts: 0, hydrastor_alerts_cleared: 0, parse_issues: 0 });
    }
    assert.deepEqual(await hydrastorState(t, 'al_again'), before);
  });

  it('reads a Date/Time without an offset as UTC for an unknown grid, and says so in the log and stats', async () => {
    const raw = (await fixtureText('alert_disk_failure.eml')).replace('2023-01-13 11:42:00 +0900', '2023-01-13 11:42:00');
    const { accepted, done } = await ingestMail(t, { customer: 'al_utc', raw });
    assert.equal(done.status, 'succeeded');
    assert.deepEqual(done.stats, { hydrastor_grids: 1, hydrastor_alerts: 1, hydrastor_alerts_cleared: 0, parse_issues: 1, times_read_as_utc: 1 });
    const [row] = await alertsOf('al_utc');
    assert.deepEqual([row?.occurred_at, row?.occurred_at_zone_assumed], [new Date('2023-01-13T11:42:00Z'), 'UTC']);
    await waitForJobLog(t, accepted.id, (line) => line.includes('Date/Time has no UTC offset; read as UTC'));
  });

  it("reads a Date/Time without an offset in the grid's zone once a system report made it known", async () => {
    const report = await ingestMail(t, { customer: 'al_zone', raw: await fixtureText('system_report.eml') });
    assert.equal(report.done.status, 'succeeded');
    const raw = (await fixtureText('alert_disk_failure.eml')).replace('2023-01-13 11:42:00 +0900', '2023-01-13 11:42:00');
    const { accepted, done } = await ingestMail(t, { customer: 'al_zone', raw });
    assert.equal(done.status, 'succeeded');
    assert.equal((done.stats as Record<string, number>)['times_read_in_grid_timezone'], 1);
    const [row] = await alertsOf('al_zone');
    assert.deepEqual([row?.occurred_at, row?.occurred_at_zone_assumed], [ALERT_AT, 'Asia/Tokyo']);
    await waitForJobLog(t, accepted.id, (line) => line.includes('read as Asia/Tokyo'));
  });

  it('classifies by the body when the subject is cut off, with CRLF, labels in any order and extra labels', async () => {
    const body = [
      'HYDRAstor Alert Notification',
      'Severity             : CRITICAL',
      'Node                 : SN003',
      'Event Type           : Occurred',
      'System Serial Number : 8A5-000123',
      'Event ID             : HS-E20001',
      'Date/Time            : 2023-01-13 11:42:00 +0900',
      'System Name          : icecream_machine',
      'Rack Position        : R2-U14',
      'Component            : Power supply 2',
      'Message              : Power supply failure.',
    ].join('\n');
    const raw = toCrlf(alertMail({ subject: 'RE: [EXT] [HYDRAstor][CRIT', body, messageId: 'truncated' }));
    const { job } = await acceptMail(t, { customer: 'al_tolerant', raw });
    assert.equal(`${job.category}/${job.type}/${job.group_name}`, 'hydrastor/alert/SN003');
    const done = await t.waitForStatus(job.id, ['succeeded', 'failed']);
    assert.equal(done.status, 'succeeded', `${done.error_code}: ${done.error_message}`);
    const [row] = await alertsOf('al_tolerant');
    assert.deepEqual(
      [row?.event_id, row?.severity, row?.node_name, row?.component, row?.extra],
      ['HS-E20001', 'CRITICAL', 'SN003', 'Power supply 2', { 'Rack Position': 'R2-U14' }],
    );
  });

  it('reads an HTML-only alert mail', async () => {
    const html = [
      '<html><body><h3>HYDRAstor Alert Notification</h3><table>',
      '<tr><td>System Name</td><td>icecream_machine</td></tr>',
      '<tr><td>System Serial Number</td><td>8A5-000123</td></tr>',
      '<tr><td>Event ID</td><td>HS-E10431</td></tr>',
      '<tr><td>Severity</td><td>ERROR</td></tr>',
      '<tr><td>Event Type</td><td>Occurred</td></tr>',
      '<tr><td>Date/Time</td><td>2023-01-13 11:42:00 +0900</td></tr>',
      '<tr><td>Node</td><td>SN001</td></tr>',
      '<tr><td>Message</td><td>Disk failure &amp; rebuild</td></tr>',
      '</table></body></html>',
    ].join('\n');
    const raw = alertMail({
      subject: '[HYDRAstor][ERROR] icecream_machine HS-E10431 SN001: Disk failure',
      contentType: 'text/html; charset="utf-8"',
      body: html,
      messageId: 'html',
    });
    const { job } = await acceptMail(t, { customer: 'al_html', raw });
    assert.equal(`${job.type}/${job.group_name}`, 'alert/SN001');
    const done = await t.waitForStatus(job.id, ['succeeded', 'failed']);
    assert.equal(done.status, 'succeeded', `${done.error_code}: ${done.error_message}`);
    const [row] = await alertsOf('al_html');
    assert.deepEqual([row?.severity, row?.node_name, row?.message, row?.occurred_at], ['ERROR', 'SN001', 'Disk failure & rebuild', ALERT_AT]);
  });

  it('leaves a mail that is neither a report nor an alert unclassified', async () => {
    const { job } = await acceptMail(t, { customer: 'bobs_burgers', raw: await fixtureText('unclassified.eml') });
    assert.equal(job.status, 'unclassified');
    const report = withSubject(await fixtureText('system_report_body_only.eml'), 'Report');
    const notAnAlert = await acceptMail(t, { customer: 'bobs_burgers', raw: report });
    assert.equal(notAnAlert.job.status, 'unclassified', 'a report body has a serial but no Event ID: not an alert');
  });
});
