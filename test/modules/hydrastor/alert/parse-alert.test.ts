import assert from 'node:assert/strict';
import { simpleParser } from 'mailparser';
import { alertGroup } from '../../../../src/modules/hydrastor/alert/alert-group.js';
import type { HydrastorAlert } from '../../../../src/modules/hydrastor/alert/alert-types.js';
import { parseAlert } from '../../../../src/modules/hydrastor/alert/parse-alert.js';
import { applyTimezone } from '../../../../src/modules/shared/values/apply-timezone.js';
import { formatParseIssue } from '../../../../src/modules/parse-issue.js';
import { IngestError } from '../../../../src/core/ingest-error.js';
import { readFixtureMail, readFixtureSource } from '../support/mail-fixtures.js';

async function fixture(name: string): Promise<{ subject: string; text: string }> {
  const mail = await readFixtureMail(name);
  assert.ok(mail.subject !== undefined && mail.text !== undefined);
  return { subject: mail.subject, text: mail.text };
}

const DISK_FAILURE: HydrastorAlert = {
  grid: 'icecream_machine',
  serial: '8A5-000123',
  eventId: 'HS-E10431',
  severity: 'WARNING',
  eventType: 'Occurred',
  occurredAt: new Date('2023-01-13T02:42:00Z'),
  hasOffset: true,
  node: 'SN002',
  component: 'Disk (slot 7)',
  message: 'Disk failure detected. Data rebuild started.',
  recommendedAction: 'See the HYDRAstor maintenance guide.',
  clearsEventId: null,
  extra: {},
  issues: [],
};

function removeLine(text: string, label: string): string {
  const without = text.replace(new RegExp(`^${label}\\s*:.*\\n`, 'm'), '');
  assert.notEqual(without, text, `no ${label} line`);
  return without;
}

describe('parseAlert', () => {
  it('reads the disk failure fixture: one open WARNING alert on SN002', async () => {
    const alert = parseAlert(await fixture('alert_disk_failure.eml'));
    assert.deepEqual(alert, DISK_FAILURE);
    assert.equal(alertGroup(alert), 'SN002');
  });

  it('reads the Recovered fixture, which clears HS-E10431 on SN002', async () => {
    const alert = parseAlert(await fixture('alert_recovered.eml'));
    assert.deepEqual(alert.issues, []);
    assert.equal(alert.eventType, 'Recovered');
    assert.equal(alert.eventId, 'HS-I10432');
    assert.equal(alert.clearsEventId, 'HS-E10431');
    assert.equal(alert.node, 'SN002');
    assert.equal(alert.severity, 'INFO');
    assert.equal(alert.occurredAt.toISOString(), '2023-01-13T05:42:00.000Z');
  });

  it('reads the grid-wide fixture: node "-" becomes null and the group is the grid', async () => {
    const alert = parseAlert(await fixture('alert_grid_capacity.eml'));
    assert.deepEqual(alert.issues, []);
    assert.equal(alert.node, null);
    assert.equal(alert.eventId, 'HS-W30002');
    assert.equal(alertGroup(alert), 'icecream_machine');
  });

  it('reads labels in any order', async () => {
    const { subject, text } = await fixture('alert_disk_failure.eml');
    const [title, ...labelLines] = text.trimEnd().split('\n');
    const shuffled = [title, ...labelLines.reverse()].join('\n');
    assert.deepEqual(parseAlert({ subject, text: shuffled }), DISK_FAILURE);
  });

  it('keeps extra labels in extra', async () => {
    const { subject, text } = await fixture('alert_disk_failure.eml');
    const alert = parseAlert({ subject, text: `${text}Rack Location        : R12-U07\nTicket : INC-42 : urgent\n` });
    assert.deepEqual(alert.extra, { 'Rack Location': 'R12-U07', Ticket: 'INC-42 : urgent' });
    assert.deepEqual({ ...alert, extra: {} }, DISK_FAILURE);
  });

  it('reads CRLF line endings the same', async () => {
    const { subject, text } = await fixture('alert_disk_failure.eml');
    assert.deepEqual(parseAlert({ subject, text: text.replace(/\n/g, '\r\n') }), DISK_FAILURE);
  });

  it('lets the body win over the subject', async () => {
    const { text } = await fixture('alert_disk_failure.eml');
    const alert = parseAlert({ subject: '[HYDRAstor][INFO] other_grid HS-I99999 AN001: something else', text });
    assert.deepEqual(alert, DISK_FAILURE);
  });

  it('fills fields the body lacks from the subject', async () => {
    const { subject, text } = await fixture('alert_disk_failure.eml');
    let sparse = removeLine(text, 'Event ID');
    sparse = removeLine(sparse, 'Node');
    sparse = removeLine(sparse, 'Severity');
    sparse = removeLine(sparse, 'System Name');
    sparse = removeLine(sparse, 'Message');
    const alert = parseAlert({ subject: `RE: [EXT] ${subject}`, text: sparse });
    assert.equal(alert.eventId, 'HS-E10431');
    assert.equal(alert.node, 'SN002');
    assert.equal(alert.severity, 'WARNING');
    assert.equal(alert.grid, 'icecream_machine');
    assert.equal(alert.message, 'Disk failure detected');
    assert.deepEqual(alert.issues, []);
  });

  it('works with a truncated subject', async () => {
    const { text } = await fixture('alert_disk_failure.eml');
    assert.deepEqual(parseAlert({ subject: '[HYDRAstor][WARNING] icecream_machine HS-E10431 SN0', text }), DISK_FAILURE);
    const alert = parseAlert({ subject: '[HYDRAstor][WARNING] icecream_machine HS-E104', text: removeLine(text, 'Node') });
    assert.equal(alert.node, null);
    assert.deepEqual(alert.issues.map(formatParseIssue), ['subject: no Node in body or subject; taken as grid-wide']);
  });

  it('returns a naive time when Date/Time has no offset, for the caller to place in the grid zone', async () => {
    const { subject, text } = await fixture('alert_disk_failure.eml');
    const alert = parseAlert({ subject, text: text.replace('2023-01-13 11:42:00 +0900', '2023-01-13 11:42:00') });
    assert.equal(alert.hasOffset, false);
    assert.equal(alert.occurredAt.toISOString(), '2023-01-13T11:42:00.000Z');
    assert.equal(applyTimezone(alert.occurredAt, 'Asia/Tokyo').toISOString(), '2023-01-13T02:42:00.000Z');
    assert.equal(applyTimezone(alert.occurredAt, null).toISOString(), '2023-01-13T11:42:00.000Z');
  });

  it('reads an HTML-only mail (label/value table) through the HTML part', async () => {
    const { text } = await fixture('alert_disk_failure.eml');
    const rows = text
      .trimEnd()
      .split('\n')
      .slice(1)
      .map((line) => {
        const [label = '', ...value] = line.split(':');
        return `<tr><td>${label.trim()}</td><td>${value.join(':').trim().replaceAll('&', '&amp;')}</td></tr>`;
      });
    const html =
      `<html><head><style>td{padding:2px}</style></head><body><h1>HYDRAstor Alert Notification</h1>` +
      `<table>\n${rows.join('\n')}\n</table><p>This mail was sent automatically.</p></body></html>`;
    const source = (await readFixtureSource('alert_disk_failure.eml'))
      .toString('utf8')
      .replace('Content-Type: text/plain; charset="utf-8"', 'Content-Type: text/html; charset="utf-8"')
      .replace(/\r?\n\r?\nHYDRAstor Alert Notification[\s\S]*$/, `\r\n\r\n${html}\r\n`);
    const mail = await simpleParser(source);
    assert.equal(typeof mail.html, 'string');
    assert.deepEqual(parseAlert({ subject: mail.subject, text: undefined, html: mail.html }), DISK_FAILURE);
    // mailparser's own text rendering of the HTML is read too, whichever the caller passes.
    assert.equal(parseAlert({ subject: mail.subject, text: mail.text, html: mail.html }).serial, '8A5-000123');
  });

  it('prefers the HTML part when the text part is only a stub', async () => {
    const { subject, text } = await fixture('alert_disk_failure.eml');
    const html = `<pre>${text}</pre>`;
    assert.deepEqual(parseAlert({ subject, text: 'This message is best viewed in HTML.', html }), DISK_FAILURE);
  });

  it('infers Recovered from a Clears Event ID and reports a Recovered mail without one', async () => {
    const { subject, text } = await fixture('alert_recovered.eml');
    const inferred = parseAlert({ subject, text: removeLine(text, 'Event Type') });
    assert.equal(inferred.eventType, 'Recovered');
    assert.deepEqual(inferred.issues.map(formatParseIssue), ['body: no Event Type; taken as Recovered']);

    const unlinked = parseAlert({ subject, text: removeLine(text, 'Clears Event ID') });
    assert.equal(unlinked.eventType, 'Recovered');
    assert.equal(unlinked.clearsEventId, null);
    assert.deepEqual(unlinked.issues.map(formatParseIssue), ['body:6: Recovered alert without a Clears Event ID']);
  });

  it("uses the mail's Date header when the body has no Date/Time, and says so", async () => {
    const { subject, text } = await fixture('alert_disk_failure.eml');
    const sentAt = new Date('2023-01-13T02:42:02Z');
    const alert = parseAlert({ subject, text: removeLine(text, 'Date/Time'), sentAt });
    assert.equal(alert.occurredAt.toISOString(), sentAt.toISOString());
    assert.equal(alert.hasOffset, true);
    assert.match(alert.issues.map(formatParseIssue).join('\n'), /no Date\/Time; the mail's Date header is used/);
  });

  it('reports an unknown severity in the body and falls back to the subject', async () => {
    const { subject, text } = await fixture('alert_disk_failure.eml');
    const alert = parseAlert({ subject, text: text.replace('Severity             : WARNING', 'Severity             : SEVERE') });
    assert.equal(alert.severity, 'WARNING');
    assert.deepEqual(alert.issues.map(formatParseIssue), ['body:5: Severity "SEVERE" is not INFO, WARNING, ERROR or CRITICAL']);
  });

  for (const [label, missing] of [
    ['System Serial Number', 'System Serial Number'],
    ['Date/Time', 'Date/Time'],
  ] as const) {
    it(`fails with a clear error without a ${missing}`, async () => {
      const { subject, text } = await fixture('alert_disk_failure.eml');
      assert.throws(
        () => parseAlert({ subject, text: removeLine(text, label) }),
        (error: unknown) => {
          assert.ok(error instanceof IngestError);
          assert.equal(error.code, 'HYDRASTOR_ALERT_INCOMPLETE');
          assert.equal(error.expose, true);
          assert.ok(error.message.includes(missing));
          return true;
        },
      );
    });
  }

  it('fails without an Event ID in body or (truncated) subject', async () => {
    const { text } = await fixture('alert_disk_failure.eml');
    assert.throws(() => parseAlert({ subject: '[HYDRAstor][WARNING] icecream_machine HS-E1', text: removeLine(text, 'Event ID') }), /no readable Event ID/);
  });
});
