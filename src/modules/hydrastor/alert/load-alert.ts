import type { ModuleContext } from '../../types.js';
import { readMailBody } from '../mail/read-mail-body.js';
import { readMessageHeaders } from '../mail/read-message-headers.js';
import type { HydrastorAlert } from './alert-types.js';
import { parseAlert } from './parse-alert.js';

/**
 * The module's parse step: the staged bodies (text, else HTML) win, the raw message's Subject
 * fills what they lack, its Date header is the time of last resort. Times without an offset stay
 * naive here: the upsert reads them in the grid's known zone.
 */
export async function loadAlert(context: ModuleContext): Promise<HydrastorAlert> {
  const body = await readMailBody({ dir: context.workDir, files: context.files });
  const headers = await readMessageHeaders({ dir: context.workDir, files: context.files });
  return parseAlert({ subject: headers.subject, text: body.text, html: body.html, sentAt: headers.sentAt });
}
