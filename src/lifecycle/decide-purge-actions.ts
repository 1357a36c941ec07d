import type { RetentionKind } from '../config/retention-schema.js';
import type { PurgeCandidate } from '../db/retention-repository.js';

/** What retention removes of one job: everything (row, events, files), or one area's files. */
export interface PurgeAction {
  readonly kind: RetentionKind;
  readonly remove: 'job' | 'inbox' | 'archive';
  /** The inbox may go only because an archive copy exists: check the copy is really there first. */
  readonly needsArchiveCopy?: boolean;
}

/**
 * The retention rules, in one place (docs/operations.md, "Retention"). Pure: the scan supplies
 * the job's age (database clock) and the windows that apply to it; null keeps for ever.
 *
 * - Unclassified arrivals and refused-arrival records go whole after their own window.
 * - A final job's row goes last: only when its own window and those of every file it still
 *   has passed, and then it takes those files along. So a row never outlives nothing, and
 *   never leaves an original without its row before the original's own window.
 * - Otherwise its inbox originals go after `inboxDays`, or after `inboxDaysWhenArchived` while an
 *   archive copy exists (the only copy is kept unless the operator set `inboxDays`), and the archive
 *   copy after `archiveDays`.
 */
export function decidePurgeActions(job: PurgeCandidate): PurgeAction[] {
  const { windows, ageDays } = job;
  const due = (days: number | null): boolean => days !== null && ageDays >= days;
  if (job.status === 'unclassified') return due(windows.unclassifiedDays) ? [{ kind: 'unclassified', remove: 'job' }] : [];
  if (job.failedArrival) return due(windows.failedArrivalDays) ? [{ kind: 'failedArrivals', remove: 'job' }] : [];

  const archiveCopy = job.archived && !job.archivePurged;
  const inboxWindow = job.inboxPurged ? 0 : archiveCopy ? earliest(windows.inboxDays, windows.inboxDaysWhenArchived) : windows.inboxDays;
  const archiveWindow = archiveCopy ? windows.archiveDays : 0;
  if (windows.jobDays !== null && inboxWindow !== null && archiveWindow !== null && ageDays >= Math.max(windows.jobDays, inboxWindow, archiveWindow)) {
    // Its inbox may still be there and allowed to go only for its archive copy, which goes along: that copy must exist.
    return [{ kind: 'jobs', remove: 'job', ...(job.inboxPurged || due(windows.inboxDays) ? {} : { needsArchiveCopy: true }) }];
  }
  const actions: PurgeAction[] = [];
  if (!job.inboxPurged && due(inboxWindow)) actions.push({ kind: 'inbox', remove: 'inbox', ...(due(windows.inboxDays) ? {} : { needsArchiveCopy: true }) });
  if (archiveCopy && due(windows.archiveDays)) actions.push({ kind: 'archive', remove: 'archive' });
  return actions;
}

function earliest(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.min(a, b);
}
