import { IngestError } from '../../../core/ingest-error.js';
import { parseAlertSeverity } from '../common/alert-severity.js';
import { htmlToText } from '../../shared/text/html-to-text.js';
import type { ParseIssue } from '../../parse-issue.js';
import { parseTimestamp, type ParsedTimestamp } from '../../shared/values/parse-timestamp.js';
import { mapLabelledLines, readLabelledLines, type MappedLabels } from '../../shared/text/read-labelled-lines.js';
import { ALERT_LABELS, EVENT_TYPES, nodeOrGridWide, type AlertField } from './alert-labels.js';
import type { AlertEventType, HydrastorAlert } from './alert-types.js';
import { matchAlertSubject } from './match-alert-subject.js';

const BODY = 'body';
const SUBJECT = 'subject';

function readLabels(text: string): MappedLabels<AlertField> {
  return mapLabelledLines({ lines: readLabelledLines(text), table: ALERT_LABELS });
}

/**
 * The text part when it carries the alert; else the text of the HTML part (HTML-only mails, or a
 * text part that is only a "view in HTML" stub).
 */
function readBody(text: string | undefined, html: string | false | undefined): MappedLabels<AlertField> {
  const fromText = readLabels(text ?? '');
  if (fromText.fields.serial !== undefined || typeof html !== 'string' || html.trim() === '') return fromText;
  const fromHtml = readLabels(htmlToText(html));
  return fromHtml.knownCount > fromText.knownCount ? fromHtml : fromText;
}

function incomplete(missing: string, details: Record<string, unknown>): IngestError {
  return new IngestError('HYDRASTOR_ALERT_INCOMPLETE', `HYDRAstor alert mail has no readable ${missing} (neither body nor subject)`, {
    details,
  });
}

/**
 * Reads one alert mail. The body wins; the subject (possibly prefixed or truncated) fills what the
 * body lacks. Throws HYDRASTOR_ALERT_INCOMPLETE only when the dedupe key cannot be formed (no
 * serial, event ID, severity or time); everything else missing or odd is an issue.
 */
export function parseAlert(args: {
  readonly subject?: string | undefined;
  readonly text?: string | undefined;
  readonly html?: string | false | undefined;
  /** The mail's Date header: the occurrence time of last resort when the body has none. */
  readonly sentAt?: Date | undefined;
}): HydrastorAlert {
  const issues: ParseIssue[] = [];
  const subject = matchAlertSubject(args.subject ?? '');
  const { fields, extra } = readBody(args.text, args.html);
  const bodyValue = (field: AlertField): string | null => {
    const value = fields[field]?.value.trim();
    return value === undefined || value === '' ? null : value;
  };
  const bodyIssue = (field: AlertField, reason: string): void => {
    issues.push({ file: BODY, line: fields[field]?.line ?? null, message: reason });
  };
  const context = { subject: args.subject ?? null, labels: Object.keys(fields) };

  const serial = bodyValue('serial');
  if (serial === null) throw incomplete('System Serial Number', context);

  const eventId = (bodyValue('eventId') ?? subject?.eventId ?? null)?.toUpperCase() ?? null;
  if (eventId === null) throw incomplete('Event ID', context);

  const bodySeverity = bodyValue('severity');
  let severity = bodySeverity === null ? null : parseAlertSeverity(bodySeverity);
  if (bodySeverity !== null && severity === null) {
    bodyIssue('severity', `Severity "${bodySeverity}" is not INFO, WARNING, ERROR or CRITICAL`);
  }
  severity ??= subject?.severity ?? null;
  if (severity === null) throw incomplete('Severity', context);

  let grid = bodyValue('grid') ?? subject?.grid ?? null;
  if (grid === null) {
    issues.push({ file: BODY, line: null, message: 'no System Name in body or subject; the serial number stands in for the grid name' });
    grid = serial;
  }

  const clearsEventId = bodyValue('clearsEventId')?.toUpperCase() ?? null;
  const bodyEventType = bodyValue('eventType');
  let eventType: AlertEventType | undefined = bodyEventType === null ? undefined : EVENT_TYPES.get(bodyEventType.toLowerCase());
  if (eventType === undefined) {
    eventType = clearsEventId === null ? 'Occurred' : 'Recovered';
    bodyIssue(
      'eventType',
      bodyEventType === null ? `no Event Type; taken as ${eventType}` : `Event Type "${bodyEventType}" is not Occurred or Recovered; taken as ${eventType}`,
    );
  }
  if (eventType === 'Recovered' && clearsEventId === null) {
    bodyIssue('eventType', 'Recovered alert without a Clears Event ID');
  }

  const bodyTime = bodyValue('occurredAt');
  let occurred: ParsedTimestamp | null = bodyTime === null ? null : parseTimestamp(bodyTime);
  if (occurred === null) {
    if (args.sentAt === undefined || Number.isNaN(args.sentAt.getTime())) throw incomplete('Date/Time', context);
    const problem = bodyTime === null ? 'no Date/Time' : `Date/Time "${bodyTime}" is unreadable`;
    bodyIssue('occurredAt', `${problem}; the mail's Date header is used`);
    occurred = { date: new Date(args.sentAt.getTime()), hasOffset: true };
  }

  let node: string | null;
  if (fields.node !== undefined) {
    node = nodeOrGridWide(fields.node.value);
  } else if (subject?.node !== null && subject?.node !== undefined) {
    node = nodeOrGridWide(subject.node);
  } else {
    node = null;
    issues.push({ file: SUBJECT, line: null, message: 'no Node in body or subject; taken as grid-wide' });
  }

  return {
    grid,
    serial,
    eventId,
    severity,
    eventType,
    occurredAt: occurred.date,
    hasOffset: occurred.hasOffset,
    node,
    component: bodyValue('component'),
    message: bodyValue('message') ?? subject?.summary ?? null,
    recommendedAction: bodyValue('recommendedAction'),
    clearsEventId,
    extra,
    issues,
  };
}
