import nodemailer from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport/index.js';
import type { AlertSettings } from '../config/alerts-schema.js';
import type { AlertBody } from './alert-body.js';
import type { AttemptResult } from './post-webhook.js';
import { EVENT_ID_HEADER, EVENT_TYPE_HEADER } from './webhook-signature.js';

type MailRelay = NonNullable<AlertSettings['mail']['relay']>;

/**
 * Alert mail through the configured relay (`alerts.mail.relay`): one plain-text message per
 * delivery, the summary as subject and the notification's JSON below the facts, so a mail filter
 * or a person can act on it. A new connection per message (alerts are few; no pool to close).
 */
export async function sendAlertMail(args: {
  readonly relay: MailRelay;
  readonly from: string;
  readonly to: string;
  readonly body: string;
  readonly timeoutSeconds: number;
}): Promise<AttemptResult> {
  const { relay } = args;
  const timeoutMs = args.timeoutSeconds * 1000;
  const options: SMTPTransport.Options = {
    host: relay.host,
    port: relay.port,
    secure: relay.secure,
    requireTLS: relay.requireTls,
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
    ...(relay.username === null ? {} : { auth: { user: relay.username, pass: relay.password ?? '' } }),
  };
  const transport = nodemailer.createTransport(options);
  const notification = JSON.parse(args.body) as AlertBody;
  try {
    const info = await transport.sendMail({
      from: args.from,
      to: args.to,
      subject: `[DataProcessor] ${notification.summary}`,
      text: mailText(notification, args.body),
      headers: { [EVENT_ID_HEADER]: notification.id, [EVENT_TYPE_HEADER]: notification.type },
    });
    return { ok: true, statusCode: replyCode(info.response), error: null };
  } catch (error) {
    const code = (error as { responseCode?: unknown }).responseCode;
    return { ok: false, statusCode: typeof code === 'number' ? code : null, error: String(error).slice(0, 300) };
  } finally {
    transport.close();
  }
}

function mailText(notification: AlertBody, json: string): string {
  const { condition } = notification;
  return [
    notification.summary,
    '',
    `Condition: ${condition.kind} ${condition.key}`,
    `Customer:  ${condition.customer ?? '(the service)'}`,
    `Opened:    ${condition.openedAt ?? '-'}`,
    ...(condition.resolvedAt === null ? [] : [`Resolved:  ${condition.resolvedAt}`]),
    `Count:     ${notification.count} (${condition.occurrences} since it opened)`,
    `Node:      ${notification.node}`,
    '',
    'The notification as JSON (the same as a webhook receives):',
    JSON.stringify(JSON.parse(json), null, 2),
    '',
  ].join('\n');
}

function replyCode(response: string | undefined): number | null {
  const code = Number(/^(\d{3})/.exec(response ?? '')?.[1]);
  return Number.isInteger(code) ? code : null;
}
