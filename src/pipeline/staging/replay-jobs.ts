import { randomUUID } from 'node:crypto';
import type { JobStatus } from '../../db/database-schema.js';
import type { JobListFilter } from '../../db/job-filter.js';
import { countJobs } from '../../db/job-summary-repository.js';
import { listJobs } from '../../db/jobs-repository.js';
import { toIngestError } from '../../core/ingest-error.js';
import type { AcceptResult, Arrival } from '../accept.js';
import type { PipelineDeps } from '../pipeline-deps.js';
import { replayArrival } from './replay-arrival.js';

/** One replay creates at most this many jobs; narrow the filter (a time window) for more. */
export const MAX_REPLAY_JOBS = 1000;
/** Replaying a job that is about to run anyway is a mistake unless asked for by status. */
export const DEFAULT_REPLAY_STATUSES: readonly JobStatus[] = ['succeeded', 'failed', 'cancelled', 'timed_out', 'unclassified', 'held'];

export interface ReplayJobsDeps extends Pick<PipelineDeps, 'db' | 'config'> {
  /** The pipeline's door as the composition root wires it. */
  readonly accept: (arrival: Arrival) => Promise<AcceptResult>;
}

export interface ReplayedJob {
  readonly jobId: string;
  readonly replayJobId: string;
  readonly status: string;
  readonly duplicate: boolean;
}

/** Not replayed: the originals cannot be read here (ReplaySkip), or the pipeline refused them. */
export interface SkippedJob {
  readonly jobId: string;
  readonly code: string;
  readonly message: string;
}

export type ReplayOutcome =
  /** A dry run: how many jobs the filter matches, nothing made. */
  | { readonly kind: 'counted'; readonly matched: number }
  /** More than MAX_REPLAY_JOBS match: nothing made. */
  | { readonly kind: 'too-many'; readonly limit: number }
  | {
      readonly kind: 'replayed';
      readonly matched: number;
      readonly batch: string;
      readonly replayed: readonly ReplayedJob[];
      readonly skipped: readonly SkippedJob[];
    };

/**
 * Runs the modules again on the originals of every job the filter matches (finished, unclassified
 * or held ones unless `filter.statuses` says otherwise): each becomes a new arrival through the
 * pipeline's door (see replayArrival), oldest first, since modules that keep "the latest report"
 * must see the reports in their order. The same `batch` replayed again returns the same jobs as
 * duplicates, so a request cut short is simply repeated. A job whose originals cannot be read
 * here is skipped with the reason; a transient failure stops the replay (rejects) for a retry.
 */
export async function replayJobs(
  deps: ReplayJobsDeps,
  args: { readonly filter: JobListFilter; readonly batch?: string; readonly dryRun?: boolean },
): Promise<ReplayOutcome> {
  const { db, config } = deps;
  const filter = {
    ...args.filter,
    statuses: args.filter.statuses !== undefined && args.filter.statuses.length > 0 ? args.filter.statuses : DEFAULT_REPLAY_STATUSES,
  };
  if (args.dryRun === true) return { kind: 'counted', matched: await countJobs(db, { filter }) };
  const matched = await countJobs(db, { filter, atMost: MAX_REPLAY_JOBS + 1 });
  if (matched > MAX_REPLAY_JOBS) return { kind: 'too-many', limit: MAX_REPLAY_JOBS };

  const batch = args.batch ?? randomUUID();
  const jobs = (await listJobs(db, { filter, limit: MAX_REPLAY_JOBS })).reverse();
  const replayed: ReplayedJob[] = [];
  const skipped: SkippedJob[] = [];
  for (const job of jobs) {
    const plan = await replayArrival({ dataRoot: config.dataRoot, nodeName: config.node.name, sharedDataRoot: config.sharedDataRoot, job, batch });
    if ('skipped' in plan) {
      skipped.push({ jobId: job.id, ...plan.skipped });
      continue;
    }
    let result: AcceptResult;
    try {
      result = await deps.accept(plan.arrival);
    } catch (error) {
      // Transient: stop here; repeating the replay with the same batch returns the jobs already
      // made as duplicates and goes on.
      const failure = toIngestError(error);
      if (failure.transient) throw failure;
      skipped.push({ jobId: job.id, code: failure.code, message: failure.expose ? failure.message : 'the original could not be staged again' });
      continue;
    }
    replayed.push({ jobId: job.id, replayJobId: result.job.id, status: result.job.status, duplicate: result.duplicate });
  }
  return { kind: 'replayed', matched, batch, replayed, skipped };
}
