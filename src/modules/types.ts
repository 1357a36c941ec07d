import type { Kysely, Transaction } from 'kysely';
import type { Database, JobSource } from '../db/database-schema.js';
import type { Logger } from '../logging/logging.js';
import type { ParseIssueReport } from './parse-issue-log.js';

/** One original file kept in the job's inbox folder, as recorded in its manifest. */
export interface StagedFile {
  /** Generated name inside the job folder; never derived from client input. */
  readonly name: string;
  readonly size: number;
  readonly sha256: string;
  /** What the client called it (attachment name, S3 key's last segment), kept as data only. */
  readonly originalName?: string;
  readonly contentType?: string;
  /** Role of the file for the module: 'message', 'body', 'attachment', 'object', … */
  readonly role?: string;
}

/** What classification sees of an arrival: its transport facts and its staged files. */
export interface ArrivalFacts {
  readonly source: JobSource;
  readonly customer: string;
  readonly files: readonly StagedFile[];
  /**
   * Up to `maxBytes` from the start of one of `files`, as UTF-8 (a character cut at the end is
   * dropped); undefined when unreadable. Synchronous because `matches` is: the files are in
   * memory or were just written, so this never waits on a disk.
   */
  readHead(file: StagedFile, maxBytes: number): string | undefined;
  /** Transport facts such as subject, sender, recipient, bucket, key. */
  readonly hints: Readonly<Record<string, string>>;
}

/** What a module may use while it runs; the DB is reached only through `upsert`'s transaction. */
export interface ModuleContext {
  readonly jobId: string;
  readonly customer: string;
  readonly group: string;
  /** Absolute path of the job's private copy under tmp/ (the module may create files there). */
  readonly workDir: string;
  readonly files: readonly StagedFile[];
  readonly logger: Logger;
  /** Aborted when the job is cancelled, timed out or the worker shuts down: stop at the next checkpoint. */
  readonly signal: AbortSignal;
  /** Records progress (for example rows read) for the API; cheap to call often. */
  reportProgress(progress: Readonly<Record<string, number | string>>): void;
  /**
   * Records a problem in the input that did not fail the job (a value kept raw, a line skipped).
   * Stored with the job when it finishes and shown in its API detail; the first few hundred are
   * listed, all are counted. Cheap; call it once per problem.
   */
  reportIssue(issue: ParseIssueReport): void;
}

export interface ModuleTransaction {
  readonly trx: Transaction<Database>;
}

/** Rows written per table, recorded on the job. */
export type UpsertStats = Readonly<Record<string, number>>;

/**
 * A data type the pipeline can ingest (the seed's "module"): one folder under src/modules.
 * `parse` is free of database access; `upsert` is the only write and runs inside the job's
 * transaction, together with the job's own completion, so a job's rows commit exactly once.
 * `Parsed` may be lazy (async iterables) so large inputs stream from parse into upsert.
 */
export interface IngestModule<Parsed = unknown> {
  readonly category: string;
  readonly type: string;
  /** Bumped when parse/upsert change meaningfully; recorded on each job run. */
  readonly version: number;
  /** For classification of arrivals without a type hint (mail): is this arrival ours? */
  matches?(facts: ArrivalFacts): boolean;
  /** The seed's `<group>` path segment for an arrival of this type (may read a small staged file). */
  group(facts: ArrivalFacts): string | Promise<string>;
  parse(context: ModuleContext): Promise<Parsed>;
  upsert(trx: Transaction<Database>, parsed: Parsed, context: ModuleContext): Promise<UpsertStats>;
  /** Defaults for `config.modules["<category>/<type>"]`. */
  readonly defaults?: { readonly timeoutSeconds?: number; readonly archive?: 'none' | 'copy' | 'tar.gz' | 'zip' };
}

/** Any module, whatever its parsed shape (the registry stores them side by side). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each module's Parsed type is private to it
export type AnyIngestModule = IngestModule<any>;

export type { Kysely };
