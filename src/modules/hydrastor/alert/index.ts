import type { ArrivalFacts } from '../../../core/arrival-facts.js';
import type { IngestModule } from '../../types.js';
import { readMailBodyHead } from '../../shared/mail/read-mail-body.js';
import { alertGroup } from './alert-group.js';
import { nodeOrGridWide } from './alert-labels.js';
import type { HydrastorAlert } from './alert-types.js';
import { loadAlert } from './load-alert.js';
import { matchAlertSubject } from './match-alert-subject.js';
import { isAlertBody, readAlertBodyLabels } from './read-alert-body-labels.js';
import { upsertAlert } from './upsert.js';

/** The group when neither the body nor the subject names a node or grid. */
export const UNKNOWN_ALERT_GROUP = 'unknown';

/** Node (grid-wide events: the grid), from the body first: subjects get cut off and rewritten. */
async function groupOf(facts: ArrivalFacts): Promise<string> {
  const { fields } = readAlertBodyLabels(await readMailBodyHead(facts));
  const subject = matchAlertSubject(facts.hints['subject'] ?? '');
  const grid = fields.grid?.value.trim() || subject?.grid || UNKNOWN_ALERT_GROUP;
  const node = fields.node !== undefined ? nodeOrGridWide(fields.node.value) : nodeOrGridWide(subject?.node);
  return alertGroup({ node, grid });
}

/** HYDRAstor alert mails, one per event (formats spec §2). */
export const alertModule = {
  category: 'hydrastor',
  type: 'alert',
  version: 1,
  // parse reads the staged bodies; nothing is written beside them (no tmp/ copy needed).
  readsOnly: true,
  matches: async (facts) => matchAlertSubject(facts.hints['subject'] ?? '') !== null || isAlertBody(await readMailBodyHead(facts)),
  group: groupOf,
  parse: loadAlert,
  upsert: upsertAlert,
  defaults: { timeoutSeconds: 120 },
} satisfies IngestModule<HydrastorAlert>;
