import { EXPORT_FILES } from './export-entry-kind.js';
import type { ParseIssue } from '../../parse-issue.js';

/**
 * How far a stated time may lie ahead of the service's clock before it is distrusted: the master
 * server's clock and ours differ by seconds, not by this much.
 */
export const MAX_CLOCK_AHEAD_MS = 10 * 60 * 1000;

export type ObservationSource = 'manifest' | 'job_times' | 'load_time';

/**
 * When an export saw what it lists: every row it writes carries this as `observed_at`, and the
 * merges let only an export at least as new update a row (docs/operations.md, "Late exports and reports").
 * `at` is null when the export gives no date at all: such an export counts as older than any dated
 * one, and rows it writes as undated.
 */
export interface ExportObservation {
  readonly at: Date | null;
  readonly source: ObservationSource | null;
  /** Set when the stated time lay in the future and the load time was taken instead. */
  readonly issue: ParseIssue | null;
}

/**
 * The export's observation time: the manifest's `generatedAt`; without a manifest, the newest job
 * time found in bpdbjobs (a lower bound of the generation time, since every job time precedes the
 * export that lists it: a late guess only makes the export fill gaps rather than overwrite);
 * neither, null. A time more than MAX_CLOCK_AHEAD_MS after `loadedAt` (a wrong clock or a bad
 * value) would put the export's rows beyond any later export's reach, so it becomes `loadedAt`.
 */
export function exportObservation(args: {
  readonly generatedAt: Date | null;
  readonly newestJobTime: Date | null;
  readonly loadedAt: Date;
}): ExportObservation {
  const stated =
    args.generatedAt !== null
      ? { at: args.generatedAt, source: 'manifest' as const, what: `${EXPORT_FILES.manifest.fileName} generatedAt`, file: EXPORT_FILES.manifest.fileName }
      : args.newestJobTime !== null
        ? { at: args.newestJobTime, source: 'job_times' as const, what: 'the newest job time', file: EXPORT_FILES.bpdbjobs.fileName }
        : null;
  if (stated === null) return { at: null, source: null, issue: null };
  if (stated.at.getTime() <= args.loadedAt.getTime() + MAX_CLOCK_AHEAD_MS) return { at: stated.at, source: stated.source, issue: null };
  return {
    at: args.loadedAt,
    source: 'load_time',
    issue: {
      file: stated.file,
      line: null,
      severity: 'warning',
      message: `${stated.what} (${stated.at.toISOString()}) is later than the load time; the export counts as observed at ${args.loadedAt.toISOString()}`,
    },
  };
}
