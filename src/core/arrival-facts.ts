import type { JobSource } from '../db/database-schema.js';
import type { StagedFile } from './staged-file.js';

/** What classification sees of an arrival: its transport facts and its staged files. */
export interface ArrivalFacts {
  readonly source: JobSource;
  readonly customer: string;
  readonly files: readonly StagedFile[];
  /**
   * Up to `maxBytes` from the start of one of `files`, as UTF-8 (a character cut at the end is
   * dropped); undefined when unreadable. Where the bytes are (in the spool's memory or in a
   * folder just written) is the pipeline's business, not the module's.
   */
  readHead(file: StagedFile, maxBytes: number): Promise<string | undefined>;
  /** Transport facts such as subject, date, sender, recipient, bucket, key. */
  readonly hints: Readonly<Record<string, string>>;
}
