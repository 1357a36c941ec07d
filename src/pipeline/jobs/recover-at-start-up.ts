import type { Logger } from '../../logging/logging.js';
import type { PipelineDeps } from '../pipeline-deps.js';
import { recoverStaging } from '../staging/recover-staging.js';
import { cleanOrphanedTmp } from './clean-orphaned-tmp.js';
import { recoverExpiredLeases } from './recover-expired-leases.js';

/**
 * What a crashed run left behind, put right before the worker claims anything. Problems are
 * logged and retried by every sweep; they never keep the service down.
 */
export async function recoverAtStartUp(args: { readonly pipeline: PipelineDeps; readonly worker: PipelineDeps; readonly logger: Logger }): Promise<void> {
  try {
    // Leases first: jobs of a crashed run go back to the queue now, not at the first sweep
    // (after several crashes in a row there may never have been one), and their tmp/
    // folders become orphans that cleanOrphanedTmp removes below.
    const expiredLeases = await recoverExpiredLeases(args.worker);
    const recovered = await recoverStaging(args.pipeline);
    const cleaned = await cleanOrphanedTmp(args.worker);
    args.logger.info('start-up recovery done', { expiredLeases, ...recovered, orphanedTmpRemoved: cleaned });
  } catch (error) {
    args.logger.error('start-up recovery failed; the sweeper will retry', { error: String(error) });
  }
}
