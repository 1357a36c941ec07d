import type { ModuleContext } from '../../types.js';
import { findMailParts } from '../mail/find-mail-parts.js';
import { readMailBody } from '../mail/read-mail-body.js';
import { readMessageHeaders } from '../mail/read-message-headers.js';
import { refuseUndecodedText } from '../mail/refuse-undecoded-text.js';
import type { HydrastorAlert } from './alert-types.js';
import { parseAlert } from './parse-alert.js';

/**
 * The module's parse step: the staged bodies (text, else HTML) win, the raw message's Subject
 * fills what they lack, its Date header is the time of last resort. Times without an offset stay
 * naive here: the upsert reads them in the grid's known zone. A mail forwarded as an attachment
 * is read from the forwarded message (see findMailParts). A value that its charset could not
 * decode fails the job (see refuseUndecodedText).
 */
export async function loadAlert(context: ModuleContext): Promise<HydrastorAlert> {
  const { forwarded } = findMailParts(context.files);
  if (forwarded > 0) context.logger.info('alert read from a forwarded message', { forwarded });
  const body = await readMailBody({ dir: context.workDir, files: context.files });
  const headers = await readMessageHeaders({ dir: context.workDir, files: context.files });
  const alert = parseAlert({ subject: headers.subject, text: body.text, html: body.html, sentAt: headers.sentAt });
  refuseUndecodedText({ record: alert, source: 'the alert mail' });
  return alert;
}
