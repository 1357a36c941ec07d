import { closeSync, openSync } from 'node:fs';
import { findJobsByStagingIds } from '../../db/jobs-repository.js';
import { areaPath } from '../paths.js';
import type { PipelineDeps } from '../pipeline-deps.js';
import { insertStagingRows } from '../staging/insert-staging-rows.js';
import { queueStagedJobs, type StagedJob } from '../staging/queue-staged-jobs.js';
import { readSpoolRecordAt, type SpoolRecord } from './spool-record.js';
import type { Segment, SpoolItem } from './spool-segments.js';
import type { SpoolFolderWriter } from './spool-folder-writer.js';
import { ancestorsUpTo, syncFileSystem } from './sync-file-system.js';
import { writeSpooledFolder } from './write-spooled-folder.js';

const DRAIN_PARALLEL_WRITES = 4;

interface DueItem {
  readonly item: SpoolItem;
  readonly relativePath: string;
  readonly jobId: string;
}

/**
 * Gives a batch of acknowledged records their job folders: writes them (not fsynced one by one),
 * one syncfs for all, then one UPDATE to `queued` (or `unclassified`), then lets go of the
 * records (`settle`). A record whose row never committed (read back by a replay) gets its job
 * now. Throws when a folder cannot be written; nothing is settled then, and the caller retries.
 */
export async function drainSpooledBatch(
  deps: PipelineDeps,
  batch: readonly SpoolItem[],
  settle: (segment: Segment) => void,
  writer?: SpoolFolderWriter,
): Promise<void> {
  const segments = new SegmentReader();
  try {
    await drainWith(deps, batch, segments, settle, writer);
  } finally {
    segments.close();
  }
}

async function drainWith(
  deps: PipelineDeps,
  batch: readonly SpoolItem[],
  segments: SegmentReader,
  settle: (segment: Segment) => void,
  writer: SpoolFolderWriter | undefined,
): Promise<void> {
  const { db, config, logger } = deps;
  const rows = await findJobsByStagingIds(
    db,
    batch.map((item) => item.stagingId),
  );
  const due: DueItem[] = [];
  const settled: SpoolItem[] = [];
  const orphans: SpoolItem[] = [];
  for (const item of batch) {
    const row = rows.get(item.stagingId);
    if (row === undefined) (item.recovered ? orphans : settled).push(item);
    else if (row.status === 'staging') due.push({ item, relativePath: row.relative_path, jobId: row.id });
    else settled.push(item);
  }
  if (orphans.length > 0) due.push(...(await recordOrphans(deps, orphans, settled, segments)));

  const written: string[] = [];
  const staged: StagedJob[] = [];
  const damaged: SpoolItem[] = [];
  const inboxRoot = areaPath(config.dataRoot, 'inbox', '');
  const done = (entry: DueItem, paths: readonly string[], manifest: StagedJob['manifest']): void => {
    written.push(...paths, ...ancestorsUpTo(paths[paths.length - 1] as string, inboxRoot));
    staged.push({ jobId: entry.jobId, relativePath: entry.relativePath, manifest });
  };
  // The folder worker reads the records and writes the folders off the event loop; without it
  // (it died, or the spool stops), the same folders are written with asynchronous calls.
  const tasks = due.map(({ item, relativePath }) => ({ file: item.segment.file, offset: item.offset, length: item.length, relativePath }));
  const outcomes = writer === undefined || due.length === 0 ? undefined : await writer.write(config.dataRoot, tasks);
  if (outcomes === undefined) {
    await forEachLimited(due, DRAIN_PARALLEL_WRITES, async (entry) => {
      const record = segments.read(entry.item);
      if (record === undefined) damaged.push(entry.item);
      else done(entry, await writeSpooledFolder({ dataRoot: config.dataRoot, relativePath: entry.relativePath, record }), record.manifest);
    });
  } else {
    for (const [index, outcome] of outcomes.entries()) {
      const entry = due[index] as DueItem;
      if ('damaged' in outcome) damaged.push(entry.item);
      else done(entry, outcome.paths, outcome.manifest);
    }
  }
  if (staged.length > 0) {
    await syncFileSystem(inboxRoot, () => written);
    const jobs = await queueStagedJobs(deps, staged, 'received; its folder written from the spool');
    logger.debug('spooled arrivals written to their folders', { jobs: jobs.length });
  }
  for (const item of damaged) {
    // An fdatasynced record that no longer reads back is a disk fault: keep its segment and its
    // staging row for a person; nothing is deleted.
    item.segment.damaged = true;
    logger.error('a spooled arrival cannot be read back; its segment is kept', { segment: item.segment.file, offset: item.offset, stagingId: item.stagingId });
  }
  for (const item of [...settled, ...due.map((entry) => entry.item)]) {
    if (!damaged.includes(item)) settle(item.segment);
  }
}

/** Records replayed from a segment whose rows never committed: their jobs are made now. */
async function recordOrphans(deps: PipelineDeps, orphans: readonly SpoolItem[], settled: SpoolItem[], segments: SegmentReader): Promise<DueItem[]> {
  const records: Array<{ item: SpoolItem; record: SpoolRecord }> = [];
  for (const item of orphans) {
    const record = segments.read(item);
    if (record === undefined) settled.push(item);
    else records.push({ item, record });
  }
  const results = await insertStagingRows(
    deps,
    records.map(({ item, record }) => ({ manifest: record.manifest, spool: { segment: item.segment.name, offset: item.offset } })),
  );
  const due: DueItem[] = [];
  for (const [index, { item }] of records.entries()) {
    const { job, duplicate } = results[index] as (typeof results)[number];
    // A duplicate of itself is a row that did commit after all (it was looked up too early): due.
    const own = job.staging_id === item.stagingId && job.status === 'staging';
    if (duplicate && !own) settled.push(item);
    else due.push({ item, relativePath: job.relative_path, jobId: job.id });
  }
  if (due.length > 0) deps.logger.info('recorded spooled arrivals whose jobs were not committed before a crash', { jobs: due.length });
  return due;
}

/** Runs `work` on every item, `limit` at a time; after a failure it starts no more and rethrows once all running ones ended. */
async function forEachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  const results = await Promise.allSettled(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length && !failed) {
        try {
          await work(items[next++] as T);
        } catch (error) {
          failed = true;
          throw error;
        }
      }
    }),
  );
  const failure = results.find((result) => result.status === 'rejected');
  if (failure !== undefined) throw failure.reason;
}

/** Reads records of a drain batch, opening each segment once. */
class SegmentReader {
  readonly #descriptors = new Map<Segment, number>();

  read(item: SpoolItem): SpoolRecord | undefined {
    let descriptor = this.#descriptors.get(item.segment);
    if (descriptor === undefined) {
      descriptor = openSync(item.segment.file, 'r');
      this.#descriptors.set(item.segment, descriptor);
    }
    return readSpoolRecordAt(descriptor, item.offset, item.length);
  }

  close(): void {
    for (const descriptor of this.#descriptors.values()) closeSync(descriptor);
    this.#descriptors.clear();
  }
}
