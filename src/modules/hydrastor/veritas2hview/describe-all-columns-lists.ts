import type { BpdbjobsLayout } from './bpdbjobs-columns.js';
import type { BpdbjobsFields } from './bpdbjobs-fields.js';

/**
 * `bpdbjobs -report -all_columns` prints the same fields as `-most_columns` but inserts the job's
 * file list after `filelistcount` and its tries after `trycount` (trypid, trystunit, tryserver,
 * …, trystatuscount, status lines, trybyteswritten, tryfileswritten), so every later field moves.
 * In `-most_columns` output `trycount` is a number and `kbpersec`/`copy` are numbers or empty:
 * a path where trycount belongs, or a storage unit or host name where kbpersec or copy belong
 * after a positive try count, is that layout. Describes the lists found, or null.
 */
export function describeAllColumnsLists(fields: BpdbjobsFields, layout: BpdbjobsLayout): string | null {
  const at = layout.positionOf;
  if (at.filelistcount < 0 || at.trycount !== at.filelistcount + 1) return null;
  // Scans characters, no slicing: this runs once per job.
  const tryCount = fields.plainCount(at.trycount);
  if (tryCount === null) {
    const fileCount = fields.plainCount(at.filelistcount);
    if (fileCount === null || fileCount === 0 || fields.raw(at.trycount).trim().length === 0) return null;
    return `field ${at.trycount + 1} (trycount) holds ${JSON.stringify(fields.raw(at.trycount).slice(0, 80))}, the first of a file list of ${fileCount}`;
  }
  if (tryCount === 0) return null;
  const shifted = fields.holdsText(at.kbpersec) ? 'kbpersec' : fields.holdsText(at.copy) ? 'copy' : null;
  if (shifted === null) return null;
  const position = at[shifted];
  return `field ${position + 1} (${shifted}) holds ${JSON.stringify(fields.raw(position).trim().slice(0, 80))}, part of the ${tryCount} tr${tryCount === 1 ? 'y' : 'ies'} listed after trycount`;
}
