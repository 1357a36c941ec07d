import { z } from 'zod';
import type { StagedFile } from '../core/staged-file.js';
import type { JobRow } from './database-schema.js';

/** One original as recorded in a manifest: its generated name, size and hash, the client's facts as data. */
export const stagedFileSchema: z.ZodType<StagedFile> = z.object({
  name: z.string(),
  size: z.number(),
  sha256: z.string(),
  originalName: z.string().exactOptional(),
  contentType: z.string().exactOptional(),
  role: z.string().exactOptional(),
});

/** Where a spooled arrival's record lies until its job folder is written (see pipeline/spool). */
export interface SpoolPosition {
  readonly segment: string;
  readonly offset: number;
}

/**
 * The `jobs.manifest` column: the originals, the hints classification saw and, for an arrival
 * accepted through the spool, where its record lies. Rows from before a field existed lack it.
 */
const jobManifestSchema = z.object({
  files: z.array(stagedFileSchema).default([]),
  hints: z.record(z.string(), z.string()).default({}),
  spool: z.object({ segment: z.string(), offset: z.number() }).exactOptional(),
}) satisfies z.ZodType<JobManifest>;

export interface JobManifest {
  readonly files: readonly StagedFile[];
  readonly hints: Readonly<Record<string, string>>;
  readonly spool?: SpoolPosition;
}

/**
 * The one reader of `jobs.manifest` (a jsonb column the database does not check): every use of
 * the column goes through here instead of casting. A row that does not fit was not written by
 * this code base: an error, not an empty manifest.
 */
export function readJobManifest(job: Pick<JobRow, 'id' | 'manifest'>): JobManifest {
  const parsed = jobManifestSchema.safeParse(job.manifest ?? {});
  if (!parsed.success) throw new Error(`job ${job.id} has an unreadable manifest: ${parsed.error.message}`);
  return parsed.data;
}

/** The column's value for a new row (the only writer, insertStagingRows). */
export function jobManifestColumn(manifest: JobManifest): string {
  return JSON.stringify(manifest);
}
