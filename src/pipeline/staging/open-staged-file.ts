import type { ReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import type { JobRow } from '../../db/database-schema.js';
import { readJobManifest } from '../../db/job-manifest.js';
import type { StagedFile } from '../../core/staged-file.js';
import { IngestError } from '../../core/ingest-error.js';
import { areaPath } from '../paths.js';

/** The originals recorded in a job's manifest (generated names; the client's names are data). */
export function stagedFilesOf(job: JobRow): readonly StagedFile[] {
  return readJobManifest(job).files;
}

/**
 * Opens one original of a job for download. Only names listed in the job's manifest are served,
 * so a request can never reach another file (`..`, the manifest, another job). The file is read
 * from inbox/, which is never modified after staging.
 */
export async function openStagedFile(args: {
  readonly dataRoot: string;
  readonly job: JobRow;
  readonly name: string;
}): Promise<{ readonly file: StagedFile; readonly size: number; readonly stream: ReadStream }> {
  const file = stagedFilesOf(args.job).find((candidate) => candidate.name === args.name);
  if (file === undefined) throw new IngestError('NOT_FOUND', 'file not found');
  const fullPath = path.join(areaPath(args.dataRoot, 'inbox', args.job.relative_path), file.name);
  let handle;
  try {
    handle = await open(fullPath, 'r');
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') {
      throw new IngestError('NOT_FOUND', 'file not found on this node (another node staged it, or retention removed it)');
    }
    throw error;
  }
  try {
    const { size } = await handle.stat();
    // The stream owns the handle from here and closes it when done or destroyed.
    return { file, size, stream: handle.createReadStream({ autoClose: true }) };
  } catch (error) {
    await handle.close();
    throw error;
  }
}
