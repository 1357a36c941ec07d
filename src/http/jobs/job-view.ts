import type { JobEventRow, JobRow } from '../../db/database-schema.js';
import { readJobManifest } from '../../db/job-manifest.js';
import type { JobSummaryRow } from '../../db/job-list-repository.js';
import type { JobParseIssue, JobParseIssues } from '../../modules/parse-issue-log.js';

/** The public shape of a job (an allow-list: internal columns such as lease owners never leak). */
export function jobSummaryView(job: JobSummaryRow) {
  return {
    id: job.id,
    status: job.status,
    source: job.source,
    customer: job.customer,
    category: job.category,
    type: job.type,
    group: job.group_name,
    receivedAt: job.received_at.toISOString(),
    startedAt: job.started_at?.toISOString() ?? null,
    finishedAt: job.finished_at?.toISOString() ?? null,
    error: job.error_code === null ? null : { code: job.error_code, message: job.error_message ?? '' },
    stats: job.stats ?? {},
  };
}

export function jobDetailView(job: JobRow, events: readonly JobEventRow[]) {
  const manifest = readJobManifest(job);
  return {
    ...jobSummaryView(job),
    attempts: job.attempts,
    maxAttempts: job.max_attempts,
    timeoutSeconds: job.timeout_seconds,
    // Progress means something only while the job runs; a finished job keeps its last report.
    progress: job.status === 'running' ? (job.progress ?? null) : null,
    cancelRequestedAt: job.cancel_requested_at?.toISOString() ?? null,
    sourceRef: job.source_ref ?? {},
    // What classification saw: a mail's subject and sender, and `forwarded` when it was read from a forwarded message.
    hints: manifest.hints,
    paths: {
      inbox: `inbox/${job.relative_path}`,
      tmp: `tmp/${job.relative_path}`,
      archive: archiveLocation(job),
    },
    files: manifest.files,
    events: events.map((event) => ({
      at: event.at.toISOString(),
      kind: event.kind,
      status: event.status,
      message: event.message,
      data: event.data ?? {},
    })),
    skippedEntries: skippedEntriesOf(events),
    parseIssues: parseIssuesOf(job.parse_issues),
  };
}

/** Where the archive copy is: `s3://bucket/<key prefix>` once the bucket tier holds it (archive.s3), else the archive area. */
function archiveLocation(job: JobRow): string {
  if (job.archive_bucket !== null && job.archive_key_prefix !== null && job.archive_purged_at === null)
    return `s3://${job.archive_bucket}/${job.archive_key_prefix}`;
  return `archive/${job.relative_path}`;
}

const MAX_SKIPPED_ENTRIES_SHOWN = 1000;

/** Archive entries left out, as recorded in the timeline (`data.skipped` of extraction events and failures). */
function skippedEntriesOf(events: readonly JobEventRow[]): Array<{ name: string; reason: string }> {
  const entries: Array<{ name: string; reason: string }> = [];
  for (const event of events) {
    const skipped = (event.data as { skipped?: unknown } | null)?.skipped;
    if (!Array.isArray(skipped)) continue;
    for (const entry of skipped) {
      if (entries.length >= MAX_SKIPPED_ENTRIES_SHOWN) return entries;
      const { name, reason } = (entry ?? {}) as { name?: unknown; reason?: unknown };
      if (typeof name === 'string') entries.push({ name, reason: typeof reason === 'string' ? reason : 'skipped' });
    }
  }
  return entries;
}

/** The stored `{ count, items }` (a job that never finished a run has none: zero). */
function parseIssuesOf(stored: unknown): JobParseIssues {
  const value = (stored ?? {}) as { count?: unknown; items?: unknown };
  const items = Array.isArray(value.items) ? (value.items as JobParseIssue[]) : [];
  return { count: typeof value.count === 'number' ? value.count : items.length, items };
}
