import { loadConfig } from '../config/load-config.js';
import type { ApiKeyIdentity } from '../db/api-keys-repository.js';
import type { JobListFilter } from '../db/job-filter.js';
import { CANCEL_AT_ONCE_STATUSES, RETRYABLE_STATUSES, cancelJob, retryJob } from '../db/job-actions-repository.js';
import { listJobSummaries } from '../db/job-list-repository.js';
import { findJob, isUuid, listJobEvents } from '../db/jobs-repository.js';
import { isIngestError } from '../core/ingest-error.js';
import { jobFilterFrom } from '../http/jobs/job-filter-params.js';
import { jobDetailView, jobSummaryView } from '../http/jobs/job-view.js';
import { replayJobs } from '../pipeline/staging/replay-jobs.js';
import { EXIT_FAILURE, EXIT_OK } from './exit-codes.js';
import { followJobEvents } from './follow-job-events.js';
import { formatJobTable } from './format-job-table.js';
import { UsageError } from './usage-error.js';
import { withDatabase } from './with-database.js';
import { withPipeline } from './with-pipeline.js';

export interface JobsListOptions {
  readonly customer?: string;
  readonly status?: string;
  readonly type?: string;
  readonly limit: number;
  readonly json?: boolean;
}

export interface JobsTailOptions {
  readonly customer?: string;
  readonly interval: number;
}

/**
 * The CLI runs inside the container next to the database: admin scope. In the jobs' timelines
 * its retries and cancels read "key cli", like an API key's label.
 */
const CLI_CALLER: ApiKeyIdentity = { keyId: 'cli', role: 'admin', customer: null, label: 'cli', customerDisabled: false };

function print(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** The job's state refuses the action: a message, exit 1 (the command line itself was fine). */
function refused(message: string): number {
  process.stderr.write(`dataprocessor: ${message}\n`);
  return EXIT_FAILURE;
}

/** The API's filter parsing, so that statuses and types mean the same here; its 400s are usage errors here. */
function filterFrom(options: Pick<JobsListOptions, 'customer' | 'status' | 'type'>): JobListFilter {
  try {
    const filter = jobFilterFrom({ customer: options.customer, status: options.status, type: options.type }, CLI_CALLER, '--');
    if (filter === undefined) throw new Error('an admin caller sees every customer');
    return filter;
  } catch (error) {
    if (isIngestError(error) && error.code === 'BAD_REQUEST') throw new UsageError(error.message);
    throw error;
  }
}

function checkJobId(id: string): void {
  if (!isUuid(id)) throw new UsageError(`no job ${id} (a job id is a UUID; see jobs list)`);
}

export async function runJobsList(options: JobsListOptions): Promise<number> {
  const filter = filterFrom(options);
  return withDatabase(loadConfig(), async (db) => {
    const jobs = await listJobSummaries(db, { filter, limit: options.limit });
    if (options.json === true) for (const job of jobs) process.stdout.write(`${JSON.stringify(jobSummaryView(job))}\n`);
    else process.stdout.write(formatJobTable(jobs));
    return EXIT_OK;
  });
}

export async function runJobsShow(id: string): Promise<number> {
  checkJobId(id);
  return withDatabase(loadConfig(), async (db) => {
    const job = await findJob(db, id);
    if (job === undefined) throw new UsageError(`no job ${id}`);
    print(jobDetailView(job, await listJobEvents(db, id)));
    return EXIT_OK;
  });
}

/** The same outcomes, and messages, as POST /jobs/:id/retry (src/http/jobs/job-actions-routes.ts). */
export async function runJobsRetry(id: string): Promise<number> {
  checkJobId(id);
  return withDatabase(loadConfig(), async (db) => {
    const result = await retryJob(db, { jobId: id, actor: CLI_CALLER });
    if (result.outcome === 'missing') throw new UsageError(`no job ${id}`);
    if (result.outcome === 'conflict') {
      if ((await findJob(db, id))?.inbox_purged_at != null) return refused("the job's originals were removed by retention; it cannot run again");
      return refused(
        `a ${result.status} job cannot be retried; only ${RETRYABLE_STATUSES.join(', ')} jobs can${result.status === 'unclassified' ? ' (replay it once a module recognises it)' : ''}`,
      );
    }
    print({ job: jobSummaryView(result.job) });
    return EXIT_OK;
  });
}

/** The same outcomes, and messages, as POST /jobs/:id/cancel. */
export async function runJobsCancel(id: string): Promise<number> {
  checkJobId(id);
  return withDatabase(loadConfig(), async (db) => {
    const result = await cancelJob(db, { jobId: id, actor: CLI_CALLER });
    if (result.outcome === 'missing') throw new UsageError(`no job ${id}`);
    if (result.outcome === 'conflict') {
      return refused(`a ${result.status} job cannot be cancelled; only ${[...CANCEL_AT_ONCE_STATUSES, 'running'].join(', ')} jobs can`);
    }
    print({ job: jobSummaryView(result.job), cancelRequested: result.outcome === 'requested' });
    return EXIT_OK;
  });
}

/** POST /jobs/replay for one job: the same orchestration (src/pipeline/staging/replay-jobs.ts), through the pipeline's door. */
export async function runJobsReplay(id: string): Promise<number> {
  checkJobId(id);
  return withPipeline(loadConfig(), { worker: false }, async (service) => {
    const job = await findJob(service.database.db, id);
    if (job === undefined) throw new UsageError(`no job ${id}`);
    const outcome = await replayJobs({ db: service.database.db, config: service.config, accept: service.accept }, { filter: { ids: [id] } });
    if (outcome.kind !== 'replayed') throw new Error(`a replay of one job answered ${outcome.kind}`);
    const { matched, batch, replayed, skipped } = outcome;
    print({ dryRun: false, matched, batch, replayed, skipped });
    if (matched === 0) return refused(`a ${job.status} job is not replayed: it is about to run anyway (cancel it first to replay it)`);
    const skip = skipped[0];
    if (replayed.length === 0 && skip !== undefined) return refused(`not replayed: ${skip.message} (${skip.code})`);
    return EXIT_OK;
  });
}

/** New jobs and status changes as JSON lines, until SIGINT or SIGTERM (exit 0) or a closed stdout. */
export async function runJobsTail(options: JobsTailOptions): Promise<number> {
  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  // `jobs tail | head`: the reader went away, which ends the tail like a signal.
  process.stdout.once('error', onSignal);
  try {
    return await withDatabase(loadConfig(), async (db) => {
      await followJobEvents({
        db,
        intervalMs: options.interval,
        signal: stop.signal,
        // On stderr: stdout carries only the JSON lines.
        onReady: () => process.stderr.write('following new jobs and status changes (SIGINT or SIGTERM stops)\n'),
        onEntry: ({ event, job }) => {
          if (event.status === null || (options.customer !== undefined && job.customer !== options.customer)) return;
          const line = {
            at: event.at.toISOString(),
            jobId: job.id,
            event: event.kind,
            status: event.status,
            message: event.message,
            customer: job.customer,
            source: job.source,
            category: job.category,
            type: job.type,
            group: job.group_name,
          };
          if (!stop.signal.aborted) process.stdout.write(`${JSON.stringify(line)}\n`);
        },
      });
      return EXIT_OK;
    });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.stdout.off('error', onSignal);
  }
}
