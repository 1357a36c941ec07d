import { requeueExpiredLeases } from '../../db/job-queue-repository.js';
import type { PipelineDeps } from '../pipeline-deps.js';

/**
 * Gives every job whose worker stopped renewing its lease back to the queue (with backoff), or
 * fails it with LEASE_EXPIRED when it has no attempts left. Run at start-up, before this node's
 * worker claims anything (after a crash its own jobs are the ones waiting), and by every sweep
 * before timeouts are decided. Returns how many jobs were re-queued or failed.
 */
export async function recoverExpiredLeases(deps: PipelineDeps): Promise<number> {
  const expired = await requeueExpiredLeases(deps.db, deps.config.worker);
  for (const { id, status } of expired) deps.logger.warn('lease expired', { jobId: id, status });
  if (expired.some(({ status }) => status === 'queued')) deps.onJobQueued?.();
  return expired.length;
}
