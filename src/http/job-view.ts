import type { JobEventRow, JobRow } from '../db/database-schema.js';

/** The public shape of a job (an allow-list: internal columns such as lease owners never leak). */
export function jobSummaryView(job: JobRow) {
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
  const manifest = (job.manifest ?? {}) as { files?: unknown[] };
  return {
    ...jobSummaryView(job),
    attempts: job.attempts,
    maxAttempts: job.max_attempts,
    timeoutSeconds: job.timeout_seconds,
    progress: job.progress ?? null,
    sourceRef: job.source_ref ?? {},
    paths: {
      inbox: `inbox/${job.relative_path}`,
      tmp: `tmp/${job.relative_path}`,
      archive: `archive/${job.relative_path}`,
    },
    files: manifest.files ?? [],
    events: events.map((event) => ({
      at: event.at.toISOString(),
      kind: event.kind,
      status: event.status,
      message: event.message,
      data: event.data ?? {},
    })),
  };
}
