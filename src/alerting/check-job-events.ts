import { hasSucceededSince, hasUnclassifiedJobs, takeJobAlertEvents, type JobAlertEvent } from '../db/alert-checks-repository.js';
import { listOpenConditions } from '../db/alert-conditions-repository.js';
import type { AlertRecorder } from './alert-conditions.js';
import type { AlertKind, AlertOccurrence, AlertScope } from './alert-kinds.js';

/** Job events taken per statement; a burst of failures is counted per condition, not notified per job. */
const JOB_EVENT_BATCH = 500;
/** Statements per transaction: a flood (alerting off for days) is taken over several rounds, each transaction short. */
const MAX_BATCHES = 20;

const KIND_BY_STATUS: Readonly<Record<string, AlertKind>> = { failed: 'job_failed', timed_out: 'job_timed_out', unclassified: 'unclassified' };

/**
 * Turns the jobs the trigger queued (failed, timed out, unclassified) into occurrences, one per
 * condition with the count of its jobs and the newest job's facts. Returns how many were taken.
 */
export async function recordJobEvents(recorder: AlertRecorder): Promise<number> {
  let taken = 0;
  for (let batch = 1; ; batch += 1) {
    const events = await takeJobAlertEvents(recorder.trx, JOB_EVENT_BATCH);
    taken += events.length;
    const byCondition = new Map<string, AlertOccurrence>();
    for (const event of events) {
      const occurrence = occurrenceOf(event);
      if (occurrence === undefined) continue;
      const id = `${occurrence.kind}\u0000${JSON.stringify(occurrence.scope)}`;
      const earlier = byCondition.get(id);
      byCondition.set(id, { ...occurrence, count: (earlier?.count ?? 0) + 1 });
    }
    for (const occurrence of byCondition.values()) await recorder.raise(occurrence);
    if (events.length < JOB_EVENT_BATCH || batch >= MAX_BATCHES) return taken;
  }
}

function occurrenceOf(event: JobAlertEvent): AlertOccurrence | undefined {
  const kind = KIND_BY_STATUS[event.status];
  // Gone (retention) or moved on from unclassified (assigned, or a failed arrival on its way to failed): nothing to say.
  if (kind === undefined || event.customer === null || event.currentStatus === null) return undefined;
  if (kind === 'unclassified' && event.currentStatus !== 'unclassified') return undefined;
  const receivedAt = event.receivedAt?.toISOString() ?? null;
  if (kind === 'unclassified') return { kind, scope: { customer: event.customer }, details: { jobId: event.jobId, receivedAt }, count: 1 };
  return {
    kind,
    scope: { customer: event.customer, category: event.category ?? '', type: event.type ?? '' },
    details: { jobId: event.jobId, group: event.group, errorCode: event.errorCode, errorMessage: event.errorMessage, receivedAt },
    count: 1,
  };
}

/**
 * Clears job conditions that no longer hold: a failing module whose newer arrival succeeded, a
 * customer with no unclassified arrival left (assigned, cancelled or purged).
 */
export async function clearRecoveredJobConditions(recorder: AlertRecorder): Promise<void> {
  for (const kind of ['job_failed', 'job_timed_out'] as const) {
    for (const condition of await listOpenConditions(recorder.trx, kind)) {
      const scope = condition.scope as AlertScope;
      const failedReceivedAt = (condition.details as { receivedAt?: string | null }).receivedAt;
      const receivedAfter = typeof failedReceivedAt === 'string' ? new Date(failedReceivedAt) : condition.opened_at;
      if (scope.customer === undefined || scope.category === undefined || scope.type === undefined) continue;
      if (await hasSucceededSince(recorder.trx, { customer: scope.customer, category: scope.category, type: scope.type, receivedAfter })) {
        await recorder.clear(condition);
      }
    }
  }
  for (const condition of await listOpenConditions(recorder.trx, 'unclassified')) {
    const customer = (condition.scope as AlertScope).customer;
    if (customer !== undefined && !(await hasUnclassifiedJobs(recorder.trx, customer))) await recorder.clear(condition);
  }
}
