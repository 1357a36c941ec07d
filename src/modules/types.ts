import type { Transaction } from 'kysely';
import type { ArrivalFacts } from '../core/arrival-facts.js';
import type { StagedFile } from '../core/staged-file.js';
import type { Database } from '../db/database-schema.js';
import type { Logger } from '../logging/logging.js';
import type { ArchiveReader } from './archive-reader.js';
import type { ParseIssueLog } from './parse-issue-log.js';

/**
 * What a module may use while it runs, lent by the pipeline (graphile-worker's `JobHelpers`): a
 * module imports nothing from src/pipeline. The database is reached only through `upsert`'s
 * transaction.
 */
export interface ModuleContext {
  readonly jobId: string;
  readonly customer: string;
  readonly group: string;
  /**
   * Absolute path of the job's folder: its private copy under tmp/ (the module may create files
   * there), or, for a module that declares `readsOnly`, the job's inbox/ folder itself, which
   * must never be written.
   */
  readonly workDir: string;
  readonly files: readonly StagedFile[];
  /**
   * The arrival's hints, worked out once when it was accepted and kept with the job: for a mail
   * `subject` (decoded, unfolded), `date` (ISO 8601, only when the Date header parses), `from`,
   * `to`, `messageId` — those of the forwarded message when the mail forwarded one — and for an
   * upload its bucket and key. Never read them again from the staged message.
   */
  readonly hints: Readonly<Record<string, string>>;
  readonly logger: Logger;
  /** Aborted when the job is cancelled, timed out or the worker shuts down: stop at the next checkpoint. */
  readonly signal: AbortSignal;
  /** Records progress (for example rows read) for the API; cheap to call often. */
  reportProgress(progress: Readonly<Record<string, number | string>>): void;
  /** Reads an archive (a staged upload, a mail attachment) safely, entry by entry. */
  readonly readArchiveEntries: ArchiveReader;
}

/**
 * What `parse` returns: the records `upsert` writes, and the problems met in the input.
 * `upsert` gets the same object, so a module that finds more issues while it writes (a large
 * file streamed into COPY, a time read in a zone only the database knows) adds them to
 * `issues`; the pipeline stores `issues` with the job after `upsert`, whether it committed or
 * failed. A `parse` that throws has its error as the explanation; nothing else is stored.
 */
export interface ParseResult<Records> {
  readonly records: Records;
  readonly issues: ParseIssueLog;
}

/** Rows written per table, recorded on the job. */
export type UpsertStats = Readonly<Record<string, number>>;

/**
 * A data type the pipeline can ingest (the seed's "module"): one folder under src/modules, one
 * line in registry.ts (docs/adding-a-module.md). `parse` is free of database access; `upsert`
 * is the only write and runs inside the job's transaction, together with the job's own
 * completion, so a job's rows commit exactly once. `Records` may be lazy (a second pass over an
 * archive) so large inputs stream from parse into upsert.
 */
export interface IngestModule<Records = unknown> {
  readonly category: string;
  readonly type: string;
  /** Bumped when parse/upsert change meaningfully; recorded on each job run. */
  readonly version: number;
  /** For classification of arrivals without a type hint (mail): is this arrival ours? */
  matches?(facts: ArrivalFacts): boolean | Promise<boolean>;
  /** The seed's `<group>` path segment for an arrival of this type (may read the head of a staged file). */
  group(facts: ArrivalFacts): string | Promise<string>;
  parse(context: ModuleContext): Promise<ParseResult<Records>>;
  upsert(trx: Transaction<Database>, parsed: ParseResult<Records>, context: ModuleContext): Promise<UpsertStats>;
  /**
   * True when parse and upsert only read the job's files (they stream archives through
   * `readArchiveEntries`, never extract or write): the worker then hands them the immutable
   * inbox/ folder as `workDir` and makes no copy in tmp/ (the copy and its removal were a third
   * of a small mail job's CPU, and a full second copy of a large upload). Absent or false: a
   * private copy in tmp/ per attempt, which the module may write in.
   */
  readonly readsOnly?: boolean;
  /** Defaults for `config.modules["<category>/<type>"]`. */
  readonly defaults?: {
    readonly timeoutSeconds?: number;
    readonly archive?: 'none' | 'copy' | 'tar.gz' | 'zip';
    /** Jobs of this module one worker runs at once (a large export's memory), whatever `worker.concurrency`. */
    readonly maxRunning?: number;
  };
}

/** Any module, whatever its records' shape (the registry stores them side by side). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each module's Records type is private to it
export type AnyIngestModule = IngestModule<any>;
