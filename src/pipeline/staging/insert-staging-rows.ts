import type { JobRow, NewJobRow } from '../../db/database-schema.js';
import { jobManifestColumn, type SpoolPosition } from '../../db/job-manifest.js';
import { countJobsInSameSecond, insertStagingJobs } from '../../db/jobs-repository.js';
import { IngestError } from '../../core/ingest-error.js';
import { jobSettingsFor } from '../jobs/job-settings.js';
import { jobRelativePath } from '../paths.js';
import type { PipelineDeps } from '../pipeline-deps.js';
import type { StagedManifest } from './staged-manifest.js';

const MAX_PATH_SUFFIX = 1000;

export interface StagingRowInput {
  readonly manifest: StagedManifest;
  /** Where the original lies in the spool, for an arrival accepted through it. */
  readonly spool?: SpoolPosition;
}

/**
 * Inserts the `staging` rows of several staged arrivals in as few statements as possible, each
 * with a free folder name `<customer>/<category>/<type>/<group>/<datetime>[_<n>]`. The next `_<n>`
 * of each folder is remembered in memory, so arrivals of one burst (20 SMTP sessions in the same
 * second) get distinct names without probing the database; the unique index stays the guard
 * against other processes, and a clash just takes the next number.
 */
export async function insertStagingRows(deps: PipelineDeps, inputs: readonly StagingRowInput[]): Promise<Array<{ job: JobRow; duplicate: boolean }>> {
  const results: Array<{ job: JobRow; duplicate: boolean } | undefined> = inputs.map(() => undefined);
  const rows = inputs.map((input) => stagingRow(deps, input));
  const attempts = inputs.map((input) => nextSuffix(basePathOf(deps, input.manifest)));
  const clashed = new Set<number>();
  let pending = inputs.map((_input, index) => index);
  while (pending.length > 0) {
    const batch = pending.map((index) => ({
      ...(rows[index] as Omit<NewJobRow, 'relative_path'>),
      relative_path: relativePathOf(deps, inputs[index] as StagingRowInput, attempts[index] as number),
    }));
    const outcomes = await insertStagingJobs(deps.db, batch);
    const retry: number[] = [];
    for (const [position, index] of pending.entries()) {
      const outcome = outcomes[position];
      if (outcome !== 'path-taken' && outcome !== undefined) {
        results[index] = outcome;
        // A duplicate took no name: hand its number back if nobody took a later one meanwhile.
        if (outcome.duplicate) giveBack(basePathOf(deps, (inputs[index] as StagingRowInput).manifest), attempts[index] as number);
        continue;
      }
      const input = inputs[index] as StagingRowInput;
      const base = basePathOf(deps, input.manifest);
      let attempt = nextSuffix(base);
      if (!clashed.has(index)) {
        // Another process took this second's names (or ours before a restart): jump past them.
        clashed.add(index);
        const taken = await countJobsInSameSecond(deps.db, { ...input.manifest, receivedAt: new Date(input.manifest.receivedAt) });
        if (taken >= attempt) attempt = skipTo(base, taken + 1);
      }
      if (attempt > MAX_PATH_SUFFIX + 1) throw new IngestError('STAGING_PATH_EXHAUSTED', 'too many arrivals for one folder in one second');
      attempts[index] = attempt;
      retry.push(index);
    }
    pending = retry;
  }
  return results as Array<{ job: JobRow; duplicate: boolean }>;
}

function stagingRow(deps: PipelineDeps, input: StagingRowInput): Omit<NewJobRow, 'relative_path'> {
  const { manifest } = input;
  const moduleKey = `${manifest.category}/${manifest.type}`;
  const settings = jobSettingsFor(deps.config, moduleKey, deps.registry.get(moduleKey));
  return {
    idempotency_key: manifest.idempotencyKey,
    source: manifest.source,
    source_ref: JSON.stringify(manifest.sourceRef),
    customer: manifest.customer,
    category: manifest.category,
    type: manifest.type,
    group_name: manifest.group,
    status: 'staging',
    max_attempts: settings.maxAttempts,
    timeout_seconds: settings.timeoutSeconds,
    error_code: null,
    error_message: null,
    stats: '{}',
    staging_id: manifest.stagingId,
    manifest: jobManifestColumn({ files: manifest.files, hints: manifest.hints, ...(input.spool === undefined ? {} : { spool: input.spool }) }),
    node: manifest.node,
    received_at: new Date(manifest.receivedAt),
    started_at: null,
    finished_at: null,
    deadline_at: null,
    lease_owner: null,
    lease_expires_at: null,
    cancel_requested_at: null,
  };
}

function relativePathOf(deps: PipelineDeps, input: StagingRowInput, attempt: number): string {
  return jobRelativePath({ ...input.manifest, receivedAt: new Date(input.manifest.receivedAt), timeZone: deps.config.timezone }, attempt);
}

/** The folder without suffix, qualified by the data root (one process may serve several, as the tests do). */
function basePathOf(deps: PipelineDeps, manifest: StagedManifest): string {
  return `${deps.config.dataRoot}\0${jobRelativePath({ ...manifest, receivedAt: new Date(manifest.receivedAt), timeZone: deps.config.timezone })}`;
}

/** Next suffix per folder-and-second. Old seconds are never asked again, so the map is simply emptied now and then. */
const lastSuffix = new Map<string, number>();
const MAX_REMEMBERED_FOLDERS = 10_000;

function nextSuffix(base: string): number {
  const next = (lastSuffix.get(base) ?? 0) + 1;
  if (lastSuffix.size >= MAX_REMEMBERED_FOLDERS && !lastSuffix.has(base)) lastSuffix.clear();
  lastSuffix.set(base, next);
  return next;
}

function giveBack(base: string, suffix: number): void {
  if (lastSuffix.get(base) === suffix) lastSuffix.set(base, suffix - 1);
}

function skipTo(base: string, suffix: number): number {
  lastSuffix.set(base, Math.max(lastSuffix.get(base) ?? 0, suffix));
  return lastSuffix.get(base) as number;
}
