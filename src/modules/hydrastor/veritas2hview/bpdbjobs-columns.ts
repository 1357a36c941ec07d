import { IngestError } from '../../../core/ingest-error.js';

/**
 * The columns of `bpdbjobs -report -most_columns` in their documented order (formats spec §3.1,
 * 1-based position = index + 1). Names are the spec's; the manifest's `bpdbjobsColumns` uses them.
 */
export const BPDBJOBS_COLUMNS = [
  'jobid',
  'jobtype',
  'state',
  'status',
  'policy',
  'schedule',
  'client',
  'server',
  'started',
  'elapsed',
  'ended',
  'stunit',
  'try',
  'operation',
  'kbytes',
  'files',
  'pathlastwritten',
  'percent',
  'jobpid',
  'owner',
  'subtype',
  'policytype',
  'scheduletype',
  'priority',
  'group',
  'masterserver',
  'retentionlevel',
  'retentionperiod',
  'compression',
  'kbytestobewritten',
  'filestobewritten',
  'filelistcount',
  'trycount',
  'parentjob',
  'kbpersec',
  'copy',
  'robot',
  'vault',
  'profile',
  'session',
  'ejecttapes',
  'srcstunit',
  'srcserver',
  'srcmedia',
  'dstmedia',
  'stream',
  'suspendable',
  'resumable',
  'restartable',
  'datamovement',
  'snapshot',
  'backupid',
  'killable',
  'controllinghost',
  'offhosttype',
  'ftusage',
  'queuereason',
  'dedupratio',
  'accelerator',
] as const;

export type BpdbjobsColumn = (typeof BPDBJOBS_COLUMNS)[number];

/** Fields 1–56 exist in every NetBackup version the export supports; shorter records are cut off. */
export const BPDBJOBS_STABLE_FIELD_COUNT = 56;

/** Without these a record cannot be keyed or classified. */
const REQUIRED_COLUMNS: readonly BpdbjobsColumn[] = ['jobid', 'state'];

const KNOWN_COLUMNS: ReadonlySet<string> = new Set(BPDBJOBS_COLUMNS);

/** `Job_ID`, `jobId` and `job id` all mean `jobid`. */
export function normalizeBpdbjobsColumnName(name: string): string {
  return name.toLowerCase().replace(/[\s_-]+/g, '');
}

/**
 * Where each known column sits in a record, and what the other positions are called. Built once
 * per file; the record parser reads `positionOf[column]` instead of searching names per line.
 */
export interface BpdbjobsLayout {
  /** Field index of each known column, or -1 when the manifest's list leaves it out. */
  readonly positionOf: Readonly<Record<BpdbjobsColumn, number>>;
  /** Positions inside the named list whose name is not a known column (kept as extras). */
  readonly unknownNamedPositions: readonly number[];
  /** Every position from here on is beyond the named list (fields newer versions append). */
  readonly namedCount: number;
  /** Name an extra field is kept under: the manifest's name, or `field<N>` (1-based). */
  readonly extraNameAt: (index: number) => string;
  /** Records with fewer fields than this were cut off and are dropped. */
  readonly minimumFieldCount: number;
  /** The job id leads every record, so a line that does not start with one continues the last. */
  readonly jobIdLeads: boolean;
}

/** Why a manifest column list cannot be used, or null when it can. Shared with manifest validation. */
export function findBpdbjobsColumnsProblem(columns: readonly string[]): string | null {
  if (columns.length === 0) return 'must list at least one column';
  const normalized = columns.map(normalizeBpdbjobsColumnName);
  const missing = REQUIRED_COLUMNS.filter((column) => !normalized.includes(column));
  if (missing.length > 0) return `must include ${missing.map((c) => `"${c}"`).join(' and ')}`;
  const seen = new Set<string>();
  for (const [index, name] of normalized.entries()) {
    if (name.length === 0) return `column ${index + 1} has an empty name`;
    if (seen.has(name)) return `column "${columns[index]}" is listed twice`;
    seen.add(name);
  }
  return null;
}

/**
 * The layout of a file: the documented order by default, or the manifest's `bpdbjobsColumns`
 * (which wins). Throws `MANIFEST_INVALID` when the list cannot be used: every record would be wrong.
 */
export function resolveBpdbjobsLayout(columns?: readonly string[]): BpdbjobsLayout {
  const names = columns ?? BPDBJOBS_COLUMNS;
  if (columns !== undefined) {
    const problem = findBpdbjobsColumnsProblem(columns);
    if (problem !== null) {
      throw new IngestError('MANIFEST_INVALID', `manifest.json: bpdbjobsColumns ${problem}`, {
        details: { field: 'bpdbjobsColumns' },
      });
    }
  }
  const normalized = names.map(normalizeBpdbjobsColumnName);
  const positionOf = Object.fromEntries(BPDBJOBS_COLUMNS.map((column) => [column, normalized.indexOf(column)])) as Record<BpdbjobsColumn, number>;
  const unknownNamedPositions = normalized.flatMap((name, index) => (KNOWN_COLUMNS.has(name) ? [] : [index]));
  return {
    positionOf,
    unknownNamedPositions,
    namedCount: names.length,
    extraNameAt: (index) => names[index] ?? `field${index + 1}`,
    minimumFieldCount: Math.min(BPDBJOBS_STABLE_FIELD_COUNT, names.length),
    jobIdLeads: positionOf.jobid === 0,
  };
}
