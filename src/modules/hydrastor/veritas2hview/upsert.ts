import type { Transaction } from 'kysely';
import type { Database } from '../../../db/database-schema.js';
import type { ModuleContext, ParseResult, UpsertStats } from '../../types.js';
import { completeKeyGridLinks } from './complete-key-grid-links.js';
import { correlateStorage } from './correlate.js';
import { UNKNOWN_GRID_GROUP } from './export-group.js';
import { exportObservation } from './export-observation.js';
import { findGridLinkFacts } from './find-grid-link-facts.js';
import { storageUnitGridLookup } from './job-stage.js';
import { loadImages } from './load-images.js';
import { loadJobs } from './load-jobs.js';
import type { ExportPlan } from './load-plan.js';
import type { ParseIssue } from '../../parse-issue.js';
import { MAX_STORED_ISSUES, upsertExportRecord } from './upsert-export-record.js';
import { upsertMasterServer } from './upsert-master-server.js';
import { upsertStorageListings } from './upsert-storage-listings.js';

/** Groups that name no grid: the fallbacks when an arrival has no key (see accept and index). */
export const NO_GRID_GROUPS: ReadonlySet<string> = new Set(['none', UNKNOWN_GRID_GROUP]);

/**
 * Loads one export inside the job's transaction: master server, storage configuration with its
 * grid links, then the large files streamed from the archive (second pass) through COPY rounds,
 * and last the export's own record. Every row commits with the job's completion or not at all.
 * Every row carries the export's observation time, and an export older than the one a row came
 * from only adds what is missing (docs/operations.md, "Late exports and reports").
 */
export async function upsertExport(trx: Transaction<Database>, parsed: ParseResult<ExportPlan>, context: ModuleContext): Promise<UpsertStats> {
  const plan = parsed.records;
  const { jobId, customer, signal } = context;
  const keyGrid = NO_GRID_GROUPS.has(context.group) ? null : context.group;
  const facts = await findGridLinkFacts(trx, { customer, keyGrid });
  const correlation = completeKeyGridLinks(
    correlateStorage({
      storageUnits: plan.storageUnits,
      diskPools: plan.diskPools,
      storageServers: plan.storageServers,
      diskVolumes: plan.diskVolumes,
      mapFile: plan.mapEntries,
      storedMappings: facts.storedMappings,
      s3KeyGrid: keyGrid,
    }),
    facts.keyGridSerial,
  );
  // The export's row keeps the first issues; every issue found while loading also goes to the
  // job's log (parse put the first pass's there already).
  const issues: ParseIssue[] = [];
  let issueCount = 0;
  const keep = (issue: ParseIssue): void => {
    issueCount += issue.unlisted ?? 1;
    if (issues.length < MAX_STORED_ISSUES) issues.push(issue);
  };
  const onIssue = (issue: ParseIssue): void => {
    keep(issue);
    parsed.issues.add(issue);
  };
  for (const issue of plan.issues) keep(issue);
  for (const issue of correlation.issues) onIssue(issue);
  const observation = exportObservation({ generatedAt: plan.manifest?.generatedAt ?? null, newestJobTime: plan.newestJobTime, loadedAt: new Date() });
  if (observation.issue !== null) onIssue(observation.issue);

  const master = await upsertMasterServer(trx, {
    customer,
    name: plan.masterServer,
    netbackupVersion: plan.manifest?.netbackupVersion ?? null,
    timezone: plan.manifest?.timezone ?? null,
    exportedAt: observation.at,
    jobId,
  });
  const target = { masterServerId: master.id, jobId, observedAt: observation.at };
  const listingStats = await upsertStorageListings(trx, { ...target, listings: plan, correlation });
  signal.throwIfAborted();

  let progress: Record<string, number | string> = { phase: 'jobs', jobsRead: 0 };
  const report = (update: Record<string, number | string>): void => {
    progress = { ...progress, ...update };
    context.reportProgress(progress);
  };
  let jobs = { read: 0, written: 0 };
  let images = { read: 0, written: 0, fragmentsWritten: 0 };
  await plan.streamLargeFiles({
    signal,
    bpdbjobs: async (source) => {
      jobs = await loadJobs(trx, {
        ...target,
        source,
        signal,
        onIssue,
        columns: plan.manifest?.bpdbjobsColumns,
        gridOf: storageUnitGridLookup(correlation),
        onProgress: ({ jobsRead, linesRead }) => report({ phase: 'jobs', jobsRead, linesRead }),
      });
    },
    bpimagelist: async (source) => {
      images = await loadImages(trx, {
        ...target,
        source,
        signal,
        onIssue,
        onProgress: ({ imagesRead }) => report({ phase: 'images', imagesRead }),
      });
    },
  });

  const exportWritten = await upsertExportRecord(trx, {
    customer,
    masterServerId: master.id,
    plan,
    observation,
    jobsRead: jobs.read,
    imagesRead: images.read,
    issues,
    issueCount,
    jobId,
  });
  report({ phase: 'done' });
  return {
    veritas_master_servers: master.written ? 1 : 0,
    ...listingStats,
    veritas_jobs: jobs.written,
    veritas_images: images.written,
    veritas_image_fragments: images.fragmentsWritten,
    veritas_exports: exportWritten,
    jobs_read: jobs.read,
    images_read: images.read,
    parse_issues: issueCount,
  };
}
