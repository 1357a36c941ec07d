import { htmlToText } from '../../shared/text/html-to-text.js';
import { mapLabelledLines, readLabelledLines, type MappedLabels } from '../../shared/text/read-labelled-lines.js';
import type { MailBody } from '../../shared/mail/read-mail-body.js';
import { ALERT_LABELS, type AlertField } from './alert-labels.js';

/** The alert labels of a body: the text part, or the HTML part's text when that reads more of them. */
export function readAlertBodyLabels(body: MailBody): MappedLabels<AlertField> {
  const read = (text: string): MappedLabels<AlertField> => mapLabelledLines({ lines: readLabelledLines(text), table: ALERT_LABELS });
  const fromText = read(body.text ?? '');
  if (fromText.fields.serial !== undefined || body.html === undefined || body.html.trim() === '') return fromText;
  const fromHtml = read(htmlToText(body.html));
  return fromHtml.knownCount > fromText.knownCount ? fromHtml : fromText;
}

/**
 * Whether a body is a HYDRAstor alert even though the subject did not say so (cut off, or
 * rewritten by a gateway): it names a serial number, an event ID and a severity or event type.
 * A system report body has a serial but no Event ID, so it never passes.
 */
export function isAlertBody(body: MailBody): boolean {
  const { fields } = readAlertBodyLabels(body);
  return fields.serial !== undefined && fields.eventId !== undefined && (fields.severity !== undefined || fields.eventType !== undefined);
}
