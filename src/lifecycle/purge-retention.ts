import { access } from 'node:fs/promises';
import type { Kysely } from 'kysely';
import type { Config } from '../config/config-schema.js';
import type { RetentionKind, RetentionWindows } from '../config/retention-schema.js';
import type { Database } from '../db/database-schema.js';
import {
  lockJobsForPurge,
  markJobFilesPurged,
  scanFinalJobs,
  scanUnclassifiedJobs,
  startOfScan,
  type PurgeCandidate,
  type PurgeCursor,
  type RetentionPolicy,
} from '../db/retention-repository.js';
import { archiveObjectsPresent, removeRecordedArchiveObjects, type ArchiveObjects } from './archive-objects.js';
import { ALL_JOB_AREAS, FOLDER_CONCURRENCY, deleteJobData } from './delete-job-data.js';
import { decidePurgeActions, type PurgeAction } from './decide-purge-actions.js';
import { jobFolder, mapConcurrently, removeJobFolders } from './job-folders.js';
import type { PurgeTallies } from './purge-tally.js';

const DAY_MS = 24 * 3600 * 1000;
/** Jobs this close to their window's end are left to the next run (the scan bound uses this clock, decisions the database's). */
const CLOCK_SLACK_MS = 60_000;

export interface PurgeRetentionArgs {
  readonly dryRun: boolean;
  /** Records what went (real run) or would go (dry run). */
  readonly tallies: PurgeTallies;
  /** Asked before every batch: false ends the run early (shutdown, or enough space freed under pressure). */
  readonly shouldContinue?: () => boolean;
  /** After every batch (the run's record is saved there). */
  readonly onBatch?: () => Promise<void>;
}

export interface PurgeDeps {
  readonly db: Kysely<Database>;
  readonly config: Pick<Config, 'dataRoot' | 'archive' | 'retention' | 'sharedDataRoot'>;
  /** This instance's node: without a shared data root it can remove only its own jobs' files. */
  readonly nodeName: string;
  /** The bucket tier's client (`archive.s3`); without it, jobs whose archive copy is in a bucket keep it (and their row). */
  readonly archiveObjects?: ArchiveObjects | undefined;
}

/**
 * Applies the retention windows once, oldest data first: final jobs by the time they ended, then
 * unclassified ones by arrival. Each batch is read without locks, decided (decidePurgeActions),
 * then acted on in short transactions that lock only the rows involved and re-check them, so a
 * concurrent retry, a second runner or a kill at any point leaves nothing half-decided: what is
 * left is found again by the next run. A dry run reads and measures the same way and removes
 * nothing. Returns false when stopped early.
 */
export async function purgeRetention(deps: PurgeDeps, args: PurgeRetentionArgs): Promise<boolean> {
  const { retention } = deps.config;
  const policy: RetentionPolicy = { defaults: retention.defaults, overrides: retention.overrides };
  const scans = [
    {
      scope: 'final' as const,
      scan: scanFinalJobs,
      minDays: shortestWindow(policy, ['inboxDays', 'inboxDaysWhenArchived', 'archiveDays', 'jobDays', 'failedArrivalDays']),
    },
    { scope: 'unclassified' as const, scan: scanUnclassifiedJobs, minDays: shortestWindow(policy, ['unclassifiedDays']) },
  ];
  for (const { scope, scan, minDays } of scans) {
    if (minDays === null) continue;
    const endedBefore = new Date(Date.now() - minDays * DAY_MS - CLOCK_SLACK_MS);
    let after: PurgeCursor = startOfScan();
    for (;;) {
      if (args.shouldContinue?.() === false) return false;
      const batch = await scan(deps.db, { policy, after, endedBefore, limit: retention.batchSize });
      const last = batch.at(-1);
      if (last === undefined) break;
      after = { endedAt: last.endedAt, id: last.id };
      const planned = batch
        .filter((job) => deps.config.sharedDataRoot || job.node === deps.nodeName)
        .map((job) => ({ job, actions: decidePurgeActions(job) }))
        .filter((plan) => plan.actions.length > 0);
      if (planned.length > 0) {
        await applyPlans(deps, { plans: planned, scope, endedBefore, dryRun: args.dryRun, tallies: args.tallies });
        await args.onBatch?.();
        if (retention.pauseMs > 0 && !args.dryRun) await new Promise((resolve) => setTimeout(resolve, retention.pauseMs));
      }
    }
  }
  return true;
}

interface Plan {
  readonly job: PurgeCandidate;
  readonly actions: readonly PurgeAction[];
}

async function applyPlans(
  deps: PurgeDeps,
  args: {
    readonly plans: readonly Plan[];
    readonly scope: 'final' | 'unclassified';
    readonly endedBefore: Date;
    readonly dryRun: boolean;
    readonly tallies: PurgeTallies;
  },
): Promise<void> {
  const { config } = deps;
  // The only copy stays: an inbox that may go only for its archive copy goes only if that copy is really there.
  const checked: Plan[] = [];
  for (const plan of args.plans) {
    const actions = [];
    for (const action of plan.actions) {
      if (action.needsArchiveCopy === true && !(await archiveCopyExists(deps, plan.job))) continue;
      actions.push(action);
    }
    if (actions.length > 0) checked.push({ job: plan.job, actions });
  }
  const whole = checked.filter((plan) => plan.actions.some((action) => action.remove === 'job'));
  const partial = checked.filter((plan) => !whole.includes(plan));

  const kindOf = new Map(whole.map((plan) => [plan.job.id, plan.actions[0]?.kind ?? 'jobs']));
  if (args.dryRun) {
    const bytes = await mapConcurrently(whole, FOLDER_CONCURRENCY, async ({ job }) => {
      const objectBytes = await removeRecordedArchiveObjects(deps.archiveObjects, job, true);
      return objectBytes === null ? null : objectBytes + (await removeJobFolders(config, job.relativePath, ALL_JOB_AREAS, true));
    });
    whole.forEach(({ job }, index) => {
      const measured = bytes[index];
      if (measured !== null && measured !== undefined) args.tallies.add({ customer: job.customer, kind: kindOf.get(job.id) ?? 'jobs', bytes: measured });
    });
  } else if (whole.length > 0) {
    const deleted = await deleteJobData(deps, { jobIds: whole.map((plan) => plan.job.id), scope: args.scope, endedBefore: args.endedBefore });
    for (const job of deleted) args.tallies.add({ customer: job.customer, kind: kindOf.get(job.id) ?? 'jobs', bytes: job.bytes });
  }
  if (partial.length === 0) return;

  if (args.dryRun) {
    for (const { job, actions } of partial) {
      for (const action of actions) {
        const objectBytes = areaOf(action) === 'archive' ? await removeRecordedArchiveObjects(deps.archiveObjects, job, true) : 0;
        if (objectBytes === null) continue;
        args.tallies.add({
          customer: job.customer,
          kind: action.kind,
          bytes: objectBytes + (await removeJobFolders(config, job.relativePath, [areaOf(action)], true)),
        });
      }
    }
    return;
  }
  await deps.db
    .transaction()
    .execute(async (trx) => {
      const locked = new Map(
        (await lockJobsForPurge(trx, { ids: partial.map((plan) => plan.job.id), scope: 'final', endedBefore: args.endedBefore })).map((job) => [job.id, job]),
      );
      const purged: Record<'inbox' | 'archive', string[]> = { inbox: [], archive: [] };
      const removed: { customer: string; kind: RetentionKind; bytes: number }[] = [];
      for (const { job, actions } of partial) {
        const now = locked.get(job.id);
        if (now === undefined) continue;
        for (const action of actions) {
          const area = areaOf(action);
          if (area === 'inbox' ? now.inboxPurged : now.archivePurged) continue;
          // The row as locked now says where the copy is (the upload task may have moved it since the scan).
          const objectBytes = area === 'archive' ? await removeRecordedArchiveObjects(deps.archiveObjects, now) : 0;
          if (objectBytes === null) continue;
          removed.push({ customer: job.customer, kind: action.kind, bytes: objectBytes + (await removeJobFolders(config, job.relativePath, [area])) });
          purged[area].push(job.id);
        }
      }
      await markJobFilesPurged(trx, { ids: purged.inbox, area: 'inbox' });
      await markJobFilesPurged(trx, { ids: purged.archive, area: 'archive' });
      // Counted once committed: a rollback leaves the rows to the next run, which counts them then.
      return removed;
    })
    .then((removed) => {
      for (const entry of removed) args.tallies.add(entry);
    });
}

function areaOf(action: PurgeAction): 'inbox' | 'archive' {
  return action.remove === 'archive' ? 'archive' : 'inbox';
}

/** The shortest window of the given kinds in the policy; null when all keep for ever (that scan is skipped). */
function shortestWindow(policy: RetentionPolicy, keys: readonly (keyof RetentionWindows)[]): number | null {
  const values = [policy.defaults, ...policy.overrides]
    .flatMap((windows) => keys.map((key) => windows[key]))
    .filter((value): value is number => typeof value === 'number');
  return values.length === 0 ? null : Math.min(...values);
}

/** The archive copy an inbox may go for is really there: locally, or (as recorded) in the bucket. */
async function archiveCopyExists(deps: PurgeDeps, job: PurgeCandidate): Promise<boolean> {
  if (await exists(jobFolder(deps.config, 'archive', job.relativePath))) return true;
  if (job.archivePurged || job.archiveObjects === null || deps.archiveObjects === undefined) return false;
  return archiveObjectsPresent(deps.archiveObjects, job.archiveObjects);
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}
