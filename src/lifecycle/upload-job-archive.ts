import { lstat, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Kysely } from 'kysely';
import type { Config } from '../config/config-schema.js';
import type { ArchiveS3Settings } from '../config/retention-schema.js';
import { markArchiveSettled, recordArchiveUpload, type PendingArchive } from '../db/archive-objects-repository.js';
import type { Database } from '../db/database-schema.js';
import { fsyncDirectory } from '../pipeline/staging/stage.js';
import type { ArchiveObjects } from './archive-objects.js';
import { jobFolder } from './job-folders.js';

export interface UploadArchiveDeps {
  readonly db: Kysely<Database>;
  readonly config: Pick<Config, 'dataRoot' | 'archive'>;
  readonly settings: ArchiveS3Settings;
  readonly objects: ArchiveObjects;
  /** Aborts the transfers in flight (shutdown): the job then keeps its local copy and stays pending. */
  readonly signal?: AbortSignal;
}

/** What became of one job's copy; failures are thrown (the local copy then stays, and the next interval retries). */
export type ArchiveUploadResult =
  | { readonly outcome: 'uploaded'; readonly bytes: number; readonly objects: number; readonly localRemoved: boolean }
  /** No local copy (no archive for its module, or removed already after a recorded upload). */
  | { readonly outcome: 'nothing' }
  /** Retried, deleted or purged while uploading: nothing recorded; a later scan sees it again if it still needs it. */
  | { readonly outcome: 'skipped' };

/** The copy in the bucket did not read back as it was sent. */
export class ArchiveVerifyError extends Error {
  override readonly name = 'ArchiveVerifyError';
}

/**
 * Moves one job's archive copy to the bucket, in the order that keeps a copy at every instant:
 * upload every file (`<prefix><relative_path>/<file>`), read each back and compare SHA-256 and
 * size, record the copy on the job row, and only then remove the local copy (and fsync its
 * parent). A kill before the record leaves the local copy and a re-run uploads again (a PUT
 * replaces the object); a kill after it leaves a recorded copy, and the re-run only removes the
 * local one.
 */
export async function uploadJobArchive(deps: UploadArchiveDeps, job: PendingArchive): Promise<ArchiveUploadResult> {
  const { db, settings, objects } = deps;
  const local = jobFolder(deps.config, 'archive', job.relativePath);
  const files = await listArchiveFiles(local);
  if (files === null || job.uploadedThisRun) {
    if (files !== null && settings.removeLocal) await removeLocalCopy(local);
    await markArchiveSettled(db, { id: job.id, finishedAt: job.finishedAt });
    return { outcome: 'nothing' };
  }
  const keyPrefix = `${settings.prefix}${job.relativePath}/`;
  const bucket = objects.bucket;
  const keys = files.map((file) => `${keyPrefix}${file.name}`);
  try {
    for (const [index, file] of files.entries()) {
      const key = keys[index] as string;
      const transfer = deps.signal === undefined ? {} : { signal: deps.signal };
      const sent = await objects.put({ key, file: path.join(local, file.name), size: file.size, ...transfer });
      const stored = await objects.readBack({ bucket, key, ...transfer });
      if (stored.sha256 !== sent || stored.size !== file.size) {
        throw new ArchiveVerifyError(
          `s3://${bucket}/${key} reads back as ${stored.size} bytes, sha256 ${stored.sha256}; sent ${file.size} bytes, sha256 ${sent}`,
        );
      }
    }
  } catch (error) {
    // What did arrive is of no use without the rest; the retry uploads it all again.
    await objects.remove({ bucket, keys }).catch(() => undefined);
    throw error;
  }
  // A retried job's earlier copy may hold files this one has not (another archive mode): they go.
  const stale = (await objects.list({ bucket, prefix: keyPrefix })).filter((object) => !keys.includes(object.key));
  if (stale.length > 0) await objects.remove({ bucket, keys: stale.map((object) => object.key) });

  const bytes = files.reduce((sum, file) => sum + file.size, 0);
  const recorded = await recordArchiveUpload(db, {
    id: job.id,
    finishedAt: job.finishedAt,
    bucket,
    keyPrefix,
    bytes,
    objects: files.length,
    settled: !settings.removeLocal,
  });
  if (recorded !== 'recorded') {
    // Gone: the row or its archive was removed meanwhile, so these objects belong to nobody.
    if (recorded === 'gone') await objects.remove({ bucket, keys });
    return { outcome: 'skipped' };
  }
  if (settings.removeLocal) {
    await removeLocalCopy(local);
    await markArchiveSettled(db, { id: job.id, finishedAt: job.finishedAt });
  }
  return { outcome: 'uploaded', bytes, objects: files.length, localRemoved: settings.removeLocal };
}

interface ArchiveFile {
  /** Relative to the job's archive folder, `/`-separated. */
  readonly name: string;
  readonly size: number;
}

/** Every regular file under `dir`, sorted; null when `dir` does not exist. Anything else (a link) is refused: it could not be uploaded, so the copy may not go. */
async function listArchiveFiles(dir: string, base = ''): Promise<ArchiveFile[] | null> {
  let entries;
  try {
    entries = await readdir(path.join(dir, base), { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' && base === '') return null;
    throw error;
  }
  const files: ArchiveFile[] = [];
  for (const entry of entries) {
    const name = base === '' ? entry.name : `${base}/${entry.name}`;
    if (entry.isDirectory()) files.push(...((await listArchiveFiles(dir, name)) ?? []));
    else if (entry.isFile()) files.push({ name, size: (await lstat(path.join(dir, name))).size });
    else throw new Error(`${path.join(dir, name)} is not a regular file: the archive copy stays local`);
  }
  return files.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

async function removeLocalCopy(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  // The removal is durable before the job counts as settled.
  await fsyncDirectory(path.dirname(dir));
}
