import type { Readable } from 'node:stream';
import type { Transaction } from 'kysely';
import type { Database } from '../../../db/database-schema.js';
import type { BpdbjobsRecord } from './bpdbjobs-record.js';
import { createStageTable } from './copy-columns.js';
import { copyInRounds } from './copy-stage-rounds.js';
import { JOB_UPDATE_GUARD, JOBS_TABLE, jobStageTable, type StorageUnitGridLookup } from './job-stage.js';
import { mergeStage } from './merge-stage.js';
import { parseBpdbjobs } from './parse-bpdbjobs.js';
import type { ParseIssue } from '../../parse-issue.js';

export interface LoadJobsArgs {
  readonly source: Readable;
  /** The manifest's `bpdbjobsColumns`, when it has them. */
  readonly columns: readonly string[] | undefined;
  readonly gridOf: StorageUnitGridLookup;
  readonly masterServerId: string;
  readonly jobId: string;
  /** The export's observation time (export-observation.ts). */
  readonly observedAt: Date | null;
  readonly signal: AbortSignal;
  /** Receives the parser's issues (each file's list is already capped by the parser). */
  readonly onIssue: (issue: ParseIssue) => void;
  readonly onProgress: (progress: { readonly jobsRead: number; readonly linesRead: number }) => void;
  readonly roundRows?: number;
}

export interface LoadResult {
  readonly read: number;
  readonly written: number;
}

/**
 * Streams bpdbjobs from the archive entry through the parser into COPY rounds and merges them
 * into `veritas_jobs` (running → done updates; a done job never goes back; an older export only
 * adds jobs that are missing: JOB_UPDATE_GUARD). Memory: one input
 * chunk, one parser batch, one round's keys.
 */
export async function loadJobs(trx: Transaction<Database>, args: LoadJobsArgs): Promise<LoadResult> {
  const stage = jobStageTable(args.gridOf);
  await createStageTable(trx, stage);
  let read = 0;
  async function* records(): AsyncGenerator<BpdbjobsRecord[], void, undefined> {
    for await (const batch of parseBpdbjobs(args.source, { columns: args.columns })) {
      for (const issue of batch.issues) args.onIssue(issue);
      read += batch.records.length;
      args.onProgress({ jobsRead: read, linesRead: batch.linesRead });
      if (batch.records.length > 0) yield batch.records;
    }
  }
  const result = await copyInRounds({
    trx,
    stage,
    batches: records(),
    keyOf: (job) => job.jobId,
    merge: () =>
      mergeStage({
        trx,
        stage,
        target: JOBS_TABLE,
        keyColumns: ['job_id'],
        updateGuard: JOB_UPDATE_GUARD,
        observedAt: args.observedAt,
        masterServerId: args.masterServerId,
        jobId: args.jobId,
      }),
    signal: args.signal,
    ...(args.roundRows === undefined ? {} : { roundRows: args.roundRows }),
  });
  return { read, written: result.rowsWritten };
}
