import { sql, type SelectQueryBuilder } from 'kysely';
import type { Database, JobSource, JobStatus } from './database-schema.js';

/** Which jobs a list, a count, a summary or a replay is about; every field narrows the set. */
export interface JobListFilter {
  /** These jobs only (`jobs replay <id>` and the console's replay of one job go through the same path as a filtered replay). */
  readonly ids?: readonly string[];
  readonly customer?: string;
  readonly statuses?: readonly JobStatus[];
  readonly type?: string;
  readonly category?: string;
  readonly source?: JobSource;
  readonly group?: string;
  /** Inclusive lower bound of `received_at`. */
  readonly receivedSince?: Date;
  /** Exclusive upper bound of `received_at`. */
  readonly receivedUntil?: Date;
  /** Case-insensitive substring of subject, sender, Message-ID, S3 key or file name (trigram index). */
  readonly text?: string;
}

/**
 * Adds the filter's conditions to a query on `jobs`. Staging rows are never part of any answer:
 * their original is not in place yet.
 */
export function applyJobFilter<O>(query: SelectQueryBuilder<Database, 'jobs', O>, filter: JobListFilter): SelectQueryBuilder<Database, 'jobs', O> {
  let result = query.where('jobs.status', '!=', 'staging');
  if (filter.ids !== undefined) result = filter.ids.length === 0 ? result.where(sql<boolean>`false`) : result.where('jobs.id', 'in', filter.ids);
  if (filter.customer !== undefined) result = result.where('jobs.customer', '=', filter.customer);
  if (filter.statuses !== undefined && filter.statuses.length > 0) result = result.where('jobs.status', 'in', filter.statuses);
  if (filter.category !== undefined) result = result.where('jobs.category', '=', filter.category);
  if (filter.type !== undefined) result = result.where('jobs.type', '=', filter.type);
  if (filter.source !== undefined) result = result.where('jobs.source', '=', filter.source);
  if (filter.group !== undefined) result = result.where('jobs.group_name', '=', filter.group);
  if (filter.receivedSince !== undefined) result = result.where('jobs.received_at', '>=', filter.receivedSince);
  if (filter.receivedUntil !== undefined) result = result.where('jobs.received_at', '<', filter.receivedUntil);
  if (filter.text !== undefined) {
    // The expression must match the index of migration 0004 exactly for the trigram index to serve it.
    result = result.where(sql<boolean>`job_search_text(jobs.source_ref, jobs.manifest) ILIKE ${`%${escapeLike(filter.text)}%`}`);
  }
  return result;
}

/** `%`, `_` and `\` are LIKE wildcards; a search for "50%" means the characters. */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (char) => `\\${char}`);
}
