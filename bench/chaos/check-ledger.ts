import type { ChaosDatabase } from './chaos-database.js';
import type { Ledger, MailItem, UploadItem } from './ledger.js';

/** States a job should have left by the end of the run: it is stuck (or was given up on by a timeout). */
export const STRANDED_STATUSES: readonly string[] = ['staging', 'queued', 'running', 'timed_out'];
const EXAMPLES_KEPT = 20;

export interface KindCheck {
  /** Distinct items the harness sent (at least one attempt). */
  readonly sent: number;
  readonly acknowledged: number;
  /** Acknowledged, and exactly one job, and it succeeded. */
  readonly ok: number;
  /** Acknowledged but no job. */
  readonly lost: number;
  /** More than one job for one item (acknowledged or not). */
  readonly duplicated: number;
  /** Acknowledged, one job, left in staging/queued/running/timed_out. */
  readonly stranded: number;
  /** Acknowledged, one job, that ended failed/cancelled/held/unclassified. */
  readonly failed: number;
  /** Answered 5xx (a bounce: never retried). Under faults only policy may answer 5xx. */
  readonly refused5xx: number;
  /** Never acknowledged (still owed a retry at the end). */
  readonly neverAcknowledged: number;
  /** Not acknowledged but stored once (committed, then the answer was lost: allowed). */
  readonly storedWithoutAck: number;
  /** Example tokens per problem, for the JSON result. */
  readonly examples: Readonly<Record<string, string[]>>;
}

export interface LedgerCheck {
  readonly mails: KindCheck;
  readonly uploads: KindCheck;
  /** Jobs that match no ledger item (should be 0: only the harness feeds this service). */
  readonly unexpectedJobs: number;
  readonly jobStatuses: Readonly<Record<string, number>>;
}

interface JobFacts {
  readonly id: string;
  readonly status: string;
  readonly error: string | null;
  readonly attempts: number;
}

/**
 * Checks the ledger item by item against the jobs table: every acknowledged Message-ID and
 * upload must have exactly one job, and it must have succeeded.
 */
export async function checkLedger(database: Pick<ChaosDatabase, 'query'>, ledger: Ledger): Promise<LedgerCheck> {
  const rows = await database.query<{
    id: string;
    status: string;
    error_code: string | null;
    attempts: number;
    message_id: string | null;
    upload_id: string | null;
  }>(
    `SELECT id, status, error_code, attempts, manifest->'hints'->>'messageId' AS message_id, source_ref->>'uploadId' AS upload_id
       FROM jobs ORDER BY created_at`,
  );
  const byMessageId = new Map<string, JobFacts[]>();
  const byUploadId = new Map<string, JobFacts[]>();
  const jobStatuses: Record<string, number> = {};
  let unexpectedJobs = 0;
  for (const row of rows) {
    jobStatuses[row.status] = (jobStatuses[row.status] ?? 0) + 1;
    const facts: JobFacts = { id: row.id, status: row.status, error: row.error_code, attempts: row.attempts };
    const messageId = row.message_id === null ? null : row.message_id.replace(/^</, '').replace(/>$/, '');
    if (messageId !== null && ledger.mails.has(messageId)) push(byMessageId, messageId, facts);
    else if (row.upload_id !== null && ledger.uploads.has(row.upload_id)) push(byUploadId, row.upload_id, facts);
    else unexpectedJobs += 1;
  }
  return {
    mails: checkKind([...ledger.mails.values()], (item) => byMessageId.get(item.token) ?? []),
    uploads: checkKind([...ledger.uploads.values()], (item) => byUploadId.get(item.token) ?? []),
    unexpectedJobs,
    jobStatuses,
  };
}

function push(map: Map<string, JobFacts[]>, key: string, facts: JobFacts): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [facts]);
  else list.push(facts);
}

function checkKind<Item extends MailItem | UploadItem>(items: readonly Item[], jobsOf: (item: Item) => JobFacts[]): KindCheck {
  const counts = { sent: 0, acknowledged: 0, ok: 0, lost: 0, duplicated: 0, stranded: 0, failed: 0, refused5xx: 0, neverAcknowledged: 0, storedWithoutAck: 0 };
  const examples: Record<string, string[]> = {};
  const note = (problem: keyof typeof counts, text: string): void => {
    counts[problem] += 1;
    const list = (examples[problem] ??= []);
    if (list.length < EXAMPLES_KEPT) list.push(text);
  };
  for (const item of items) {
    if (item.attempts === 0) continue;
    counts.sent += 1;
    const jobs = jobsOf(item);
    if (jobs.length > 1) note('duplicated', `${item.token}: jobs ${jobs.map((job) => `${job.id} (${job.status})`).join(', ')}`);
    if (item.ackedAt === null) {
      if (item.refused !== null) note('refused5xx', `${item.token}: ${item.refused}${jobs.length > 0 ? ' (but stored)' : ''}`);
      else counts.neverAcknowledged += 1;
      if (jobs.length === 1) counts.storedWithoutAck += 1;
      continue;
    }
    counts.acknowledged += 1;
    // An upload's 202 named its job: that job is the one that must have succeeded.
    const job = item.kind === 'upload' && item.jobId !== null ? jobs.find((candidate) => candidate.id === item.jobId) : jobs[0];
    if (job === undefined) {
      note(
        'lost',
        `${item.token}: acknowledged at ${(item.ackedAt / 1000).toFixed(1)} s, no job${item.kind === 'upload' ? ` (202 named ${item.jobId ?? '?'})` : ''}`,
      );
    } else if (jobs.length > 1) {
      // Counted as duplicated above.
    } else if (job.status === 'succeeded') {
      counts.ok += 1;
    } else if (STRANDED_STATUSES.includes(job.status)) {
      note('stranded', `${item.token}: job ${job.id} ${job.status} after ${job.attempts} attempts${job.error === null ? '' : ` (${job.error})`}`);
    } else {
      note('failed', `${item.token}: job ${job.id} ${job.status} after ${job.attempts} attempts${job.error === null ? '' : ` (${job.error})`}`);
    }
  }
  return { ...counts, examples };
}
