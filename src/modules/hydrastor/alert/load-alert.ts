import { parseResult } from '../../parse-result.js';
import { findMailParts } from '../../shared/mail/find-mail-parts.js';
import { readMailBody } from '../../shared/mail/read-mail-body.js';
import type { ModuleContext, ParseResult } from '../../types.js';
import { refuseUndecodedText } from '../common/refuse-undecoded-text.js';
import type { HydrastorAlert } from './alert-types.js';
import { parseAlert } from './parse-alert.js';

/**
 * The module's parse step: the staged bodies (text, else HTML) win, the message's Subject fills
 * what they lack, its Date header is the time of last resort (both from the arrival's hints,
 * those of the forwarded message when the mail forwarded one). Times without an offset stay
 * naive here: the upsert reads them in the grid's known zone. A mail forwarded as an attachment
 * is read from the forwarded message (see findMailParts). A value that its charset could not
 * decode fails the job (see refuseUndecodedText).
 */
export async function loadAlert(context: ModuleContext): Promise<ParseResult<HydrastorAlert>> {
  const { forwarded } = findMailParts(context.files);
  if (forwarded > 0) context.logger.info('alert read from a forwarded message', { forwarded });
  const body = await readMailBody({ dir: context.workDir, files: context.files });
  const sent = Date.parse(context.hints['date'] ?? '');
  const alert = parseAlert({ subject: context.hints['subject'], text: body.text, html: body.html, sentAt: Number.isFinite(sent) ? new Date(sent) : undefined });
  refuseUndecodedText({ record: alert, source: 'the alert mail' });
  return parseResult(alert, alert.issues);
}
