import { rm, rmdir } from 'node:fs/promises';
import path from 'node:path';
import type { JobRow } from '../../db/database-schema.js';
import { extendLease, finishJob, releaseJob, scheduleRetry } from '../../db/job-queue-repository.js';
import { readJobManifest } from '../../db/job-manifest.js';
import { formatParseIssue } from '../../modules/parse-issue.js';
import type { ParseIssueLog } from '../../modules/parse-issue-log.js';
import type { ModuleContext, ParseResult } from '../../modules/types.js';
import { readArchiveEntries } from '../extract/extract.js';
import { archiveJobFolder } from './archive.js';
import { copyJobFolder } from './copy-job-folder.js';
import { IngestError, toIngestError } from '../../core/ingest-error.js';
import { jobSettingsFor } from './job-settings.js';
import { archiveRootOf, areaPath } from '../paths.js';
import type { PipelineDeps } from '../pipeline-deps.js';

/** setTimeout's largest delay (about 24.8 days); longer ones would fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** Parse issues written to the job log one by one; the job's API detail lists more, the count has them all. */
const MAX_LOGGED_PARSE_ISSUES = 50;

/** Why a running job was stopped from outside its module. */
export type StopReason = 'cancelled' | 'timed_out' | 'lease_lost' | 'shutdown';

class StopSignal extends Error {
  constructor(readonly reason: StopReason) {
    super(`job stopped: ${reason}`);
  }
}

export interface RunJobArgs {
  readonly job: JobRow;
  readonly owner: string;
  /** Aborted by the worker at shutdown (after the grace period). */
  readonly shutdownSignal: AbortSignal;
}

/**
 * Runs one claimed job to its end: copy inbox → tmp (unless the module only reads: it reads
 * inbox/ itself), parse, archive, upsert + mark succeeded in one transaction, clean tmp. A
 * heartbeat keeps the lease and notices cancellation; the deadline aborts it. Failures become
 * data on the job (retry with backoff when transient), never escape.
 */
export async function runJob(deps: PipelineDeps, args: RunJobArgs): Promise<void> {
  const { job, owner } = args;
  const { config } = deps;
  const logger = deps.logger.child({ jobId: job.id });
  const moduleKey = `${job.category}/${job.type}`;
  const module = deps.registry.get(moduleKey);
  const settings = jobSettingsFor(config, moduleKey, module);
  const controller = new AbortController();
  const stop = (reason: StopReason): void => {
    if (!controller.signal.aborted) controller.abort(new StopSignal(reason));
  };
  let progress: Record<string, number | string> | undefined;
  let leaseConfirmedAt = Date.now();

  const heartbeat = setInterval(() => {
    extendLease(deps.db, { jobId: job.id, owner, leaseSeconds: config.worker.leaseSeconds, progress })
      .then(({ owned, cancelRequested }) => {
        if (!owned) stop('lease_lost');
        else if (cancelRequested) stop('cancelled');
        else leaseConfirmedAt = Date.now();
      })
      .catch((error: unknown) => {
        logger.warn('lease heartbeat failed', { error: String(error) });
        // Unconfirmed for a whole lease: the sweeper may already have given the job to another worker.
        if (Date.now() - leaseConfirmedAt > config.worker.leaseSeconds * 1000) stop('lease_lost');
      });
  }, config.worker.heartbeatSeconds * 1000);
  const deadlineMs = (job.deadline_at?.getTime() ?? Date.now() + job.timeout_seconds * 1000) - Date.now();
  const deadline = setTimeout(() => stop('timed_out'), Math.min(MAX_TIMER_MS, Math.max(0, deadlineMs)));
  const onShutdown = (): void => stop('shutdown');
  args.shutdownSignal.addEventListener('abort', onShutdown, { once: true });

  // One folder per attempt, so a worker that lost its lease never touches its successor's copy.
  // A module that only reads gets the inbox folder itself: nothing to copy, nothing to clean.
  const readsOnly = module?.readsOnly === true;
  const inboxDir = areaPath(config.dataRoot, 'inbox', job.relative_path);
  const jobTmpDir = areaPath(config.dataRoot, 'tmp', job.relative_path);
  const workDir = readsOnly ? inboxDir : path.join(jobTmpDir, `attempt-${job.attempts}`);
  const startedAt = Date.now();
  /** What parse returned, once it has: its issues are stored however the run ends. */
  let parsed: ParseResult<unknown> | undefined;
  /** The job's final status if this run ended it (null when it goes back to the queue). */
  let outcome: string | null = null;
  const removeAttemptFolders = async (): Promise<void> => {
    if (readsOnly) return;
    await rm(workDir, { recursive: true, force: true }).catch((error: unknown) => logger.warn('could not clean tmp', { error: String(error) }));
    // The job's own tmp folder goes too once no attempt uses it (rmdir fails while another does).
    await rmdir(jobTmpDir).catch(() => undefined);
  };
  const throwIfStopped = (): void => {
    if (controller.signal.aborted) throw controller.signal.reason as Error;
  };
  try {
    if (module === undefined) throw new IngestError('MODULE_UNKNOWN', `no module ${moduleKey} is installed on this node`);
    // At info a job is one line, when it ends (its timeline has the claim): at hundreds of small
    // jobs a second the log lines were a tenth of the worker's CPU.
    logger.debug('job started', { module: moduleKey, attempt: job.attempts, path: job.relative_path });
    const { files, hints } = readJobManifest(job);
    if (!readsOnly) {
      // Earlier attempts' folders belong to workers that lost this job: they can no longer commit.
      await rm(jobTmpDir, { recursive: true, force: true });
      await copyJobFolder({ from: inboxDir, to: workDir, files });
    }
    const context: ModuleContext = {
      jobId: job.id,
      customer: job.customer,
      group: job.group_name,
      workDir,
      files,
      hints,
      logger,
      signal: controller.signal,
      reportProgress: (value) => {
        progress = { ...value };
      },
      readArchiveEntries,
    };
    const result: ParseResult<unknown> = await module.parse(context);
    parsed = result;
    throwIfStopped();
    const archived = await archiveJobFolder({
      dataRoot: config.dataRoot,
      archiveRoot: archiveRootOf(config),
      relativePath: job.relative_path,
      mode: settings.archive,
    });
    throwIfStopped();
    const stats = await deps.db.transaction().execute(async (trx) => {
      const written = await module.upsert(trx, result, context);
      throwIfStopped();
      // Read only now: a streaming module adds the issues it meets while it writes.
      const finished = await finishJob(trx, {
        jobId: job.id,
        owner,
        status: 'succeeded',
        stats: written,
        error: null,
        parseIssues: result.issues.snapshot(),
        message: `succeeded: ${describeStats(written)}`,
        data: { stats: written, moduleVersion: module.version, archived: archived !== null },
      });
      // Fenced on the lease: if another worker or the sweeper took the job, our rows roll back.
      if (!finished) throw new StopSignal('lease_lost');
      return written;
    });
    logParseIssues(logger, result.issues);
    logger.info('job succeeded', { module: moduleKey, attempt: job.attempts, stats, ms: Date.now() - startedAt });
    outcome = 'succeeded';
  } catch (error) {
    // tmp/ first: once the job reads as ended, nothing of its attempt is left behind.
    await removeAttemptFolders();
    outcome = await recordFailure(deps, { job, owner, error, maxAttempts: settings.maxAttempts, logger, issues: parsed?.issues });
  } finally {
    if (outcome !== null) deps.onJobFinished?.({ category: job.category, type: job.type, status: outcome, durationSeconds: (Date.now() - startedAt) / 1000 });
    clearInterval(heartbeat);
    clearTimeout(deadline);
    args.shutdownSignal.removeEventListener('abort', onShutdown);
    await removeAttemptFolders();
  }
}

/** Records how a failed or stopped run ends; returns the job's final status, or null when it will run again. */
async function recordFailure(
  deps: PipelineDeps,
  args: { job: JobRow; owner: string; error: unknown; maxAttempts: number; logger: PipelineDeps['logger']; issues: ParseIssueLog | undefined },
): Promise<string | null> {
  const { job, owner, logger } = args;
  const stopped = args.error instanceof StopSignal ? args.error.reason : undefined;
  try {
    switch (stopped) {
      case 'lease_lost':
        logger.warn('lease lost: another worker or the sweeper owns this job now; nothing was committed');
        return null;
      case 'shutdown':
        await releaseJob(deps.db, { jobId: job.id, owner, reason: 'released at shutdown; it will run again' });
        logger.info('job released at shutdown');
        return null;
      case 'cancelled':
        await finishJob(deps.db, {
          jobId: job.id,
          owner,
          status: 'cancelled',
          message: 'cancelled on request',
          error: { code: 'CANCELLED', message: 'cancelled on request' },
        });
        logger.info('job cancelled');
        return 'cancelled';
      case 'timed_out': {
        const message = `the job ran longer than its timeout of ${job.timeout_seconds} s`;
        await finishJob(deps.db, { jobId: job.id, owner, status: 'timed_out', message, error: { code: 'JOB_TIMEOUT', message } });
        logger.warn('job timed out');
        return 'timed_out';
      }
      case undefined:
        break;
    }
    const error = toIngestError(args.error);
    const failure = { code: error.code, message: error.message };
    if (error.transient && job.attempts < args.maxAttempts) {
      const retryInSeconds = backoffSeconds(deps, job.attempts);
      await scheduleRetry(deps.db, { jobId: job.id, owner, retryInSeconds, error: failure });
      logger.warn('job failed, will retry', { error: failure, retryInSeconds });
      return null;
    }
    // The issues met before the failure are kept too: they often explain it.
    if (args.issues !== undefined) logParseIssues(logger, args.issues);
    await finishJob(deps.db, {
      jobId: job.id,
      owner,
      status: 'failed',
      error: failure,
      message: `failed: ${error.code}: ${error.message}`,
      data: error.details ?? {},
      parseIssues: args.issues?.snapshot() ?? { count: 0, items: [] },
    });
    logger.error('job failed', { error: failure, details: error.details });
    return 'failed';
  } catch (recordError) {
    // The lease will expire and the sweeper re-queues the job: nothing is lost.
    logger.error('could not record the job outcome', { error: String(recordError), outcome: String(args.error) });
    return null;
  }
}

/** The first issues of a run, in the job log (the job's API detail lists them too). */
function logParseIssues(logger: PipelineDeps['logger'], issues: ParseIssueLog): void {
  if (issues.count === 0) return;
  logger.warn(`${issues.count} parse issue(s)`, {
    count: issues.count,
    first: issues.listed.slice(0, MAX_LOGGED_PARSE_ISSUES).map(formatParseIssue),
  });
}

/** Exponential backoff with full jitter in [half, full], capped. */
function backoffSeconds(deps: PipelineDeps, attempt: number): number {
  const { backoffBaseSeconds, backoffMaxSeconds } = deps.config.worker;
  const full = Math.min(backoffMaxSeconds, backoffBaseSeconds * 2 ** Math.max(0, attempt - 1));
  return full / 2 + Math.random() * (full / 2);
}

function describeStats(stats: Readonly<Record<string, number>>): string {
  const parts = Object.entries(stats).map(([table, rows]) => `${table}=${rows}`);
  return parts.length === 0 ? 'no rows' : parts.join(', ');
}
