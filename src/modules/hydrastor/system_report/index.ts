import type { ArrivalFacts } from '../../../core/arrival-facts.js';
import type { IngestModule } from '../../types.js';
import { readMailBodyHead } from '../../shared/mail/read-mail-body.js';
import { readLabelledLines, mapLabelledLines } from '../../shared/text/read-labelled-lines.js';
import { htmlToText } from '../../shared/text/html-to-text.js';
import { loadSystemReport, type ParsedSystemReport } from './load-system-report.js';
import { matchSystemReportSubject } from './match-system-report-subject.js';
import { SYSTEM_LABELS } from './system-report-body-labels.js';
import { systemReportGroup } from './system-report-group.js';
import { upsertSystemReport } from './upsert.js';

/** The group when neither the subject nor the body names the grid. */
export const UNKNOWN_GRID_GROUP = 'unknown';

/** The System Name of a report body's header block (the first labelled lines). */
async function gridNameFromBody(facts: ArrivalFacts): Promise<string | undefined> {
  const body = await readMailBodyHead(facts);
  for (const text of [body.text, body.html === undefined ? undefined : htmlToText(body.html)]) {
    if (text === undefined) continue;
    const { fields } = mapLabelledLines({ lines: readLabelledLines(text), table: SYSTEM_LABELS });
    const name = fields.system_name?.value.trim();
    if (name !== undefined && name !== '') return name;
  }
  return undefined;
}

/** HYDRAstor daily system report mails (formats spec §1). */
export const systemReportModule = {
  category: 'hydrastor',
  type: 'system_report',
  version: 1,
  // parse reads the staged bodies or streams the attachment; nothing is extracted (no tmp/ copy needed).
  readsOnly: true,
  matches: (facts) => matchSystemReportSubject(facts.hints['subject'] ?? '') !== null,
  async group(facts) {
    const subject = matchSystemReportSubject(facts.hints['subject'] ?? '');
    if (subject !== null) return systemReportGroup(subject);
    return (await gridNameFromBody(facts)) ?? UNKNOWN_GRID_GROUP;
  },
  parse: loadSystemReport,
  upsert: upsertSystemReport,
  defaults: { timeoutSeconds: 300 },
} satisfies IngestModule<ParsedSystemReport>;
