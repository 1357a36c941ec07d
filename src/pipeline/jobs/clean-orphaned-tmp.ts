import { readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { findJobByRelativePath } from '../../db/jobs-repository.js';
import { areaPath } from '../paths.js';
import type { PipelineDeps } from '../pipeline-deps.js';

/** tmp/<customer>/<category>/<type>/<group>/<datetime>: job folders sit five levels down. */
const JOB_FOLDER_DEPTH = 5;

/**
 * Removes `tmp/` job folders left by a crashed worker: any whose job is not running and that
 * nobody touched for two leases (so a job claimed elsewhere a moment ago is left alone).
 * Runs at start-up; a job run again recreates its own attempt folder from inbox/ anyway.
 */
export async function cleanOrphanedTmp(deps: PipelineDeps, args: { readonly minIdleSeconds?: number } = {}): Promise<number> {
  const root = areaPath(deps.config.dataRoot, 'tmp', '');
  const minIdleMs = (args.minIdleSeconds ?? deps.config.worker.leaseSeconds * 2) * 1000;
  let removed = 0;
  for (const relativePath of await listFolders(root, JOB_FOLDER_DEPTH)) {
    const job = await findJobByRelativePath(deps.db, relativePath);
    if (job?.status === 'running') continue;
    const modified = (await stat(path.join(root, relativePath)).catch(() => undefined))?.mtimeMs ?? 0;
    if (Date.now() - modified < minIdleMs) continue;
    await rm(path.join(root, relativePath), { recursive: true, force: true });
    removed += 1;
    deps.logger.info('removed an orphaned tmp folder', { path: `tmp/${relativePath}`, jobId: job?.id });
  }
  return removed;
}

async function listFolders(root: string, depth: number, prefix = ''): Promise<string[]> {
  const entries = await readdir(path.join(root, prefix), { withFileTypes: true }).catch(() => []);
  const found: string[] = [];
  for (const entry of entries) {
    if (!entry.isDirectory()) continue;
    const relative = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    if (depth === 1) found.push(relative);
    else found.push(...(await listFolders(root, depth - 1, relative)));
  }
  return found;
}
