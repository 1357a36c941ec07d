import type { PipelineDeps } from '../pipeline-deps.js';
import { Spool } from './spool.js';

/**
 * This node's spool as a service runs it, or undefined. It takes arrivals only when SMTP (the
 * transport whose small arrivals it is for) and the spool are on, and the node has a stable
 * name: on a shared data root host names change with containers, and a spool must find its
 * owner again. It is opened even when it takes none, to replay what an earlier run left, except
 * by one-shot commands (no housekeeping: CLI ingest), which leave that to the service.
 */
export async function openNodeSpool(deps: PipelineDeps, args: { readonly housekeeping: boolean }): Promise<Spool | undefined> {
  const { config } = deps;
  const stableNode = !config.sharedDataRoot || config.node.configured;
  const accept = config.smtp.enabled && config.spool.enabled && config.spool.maxArrivalBytes > 0 && stableNode;
  if (config.smtp.enabled && config.spool.enabled && !stableNode)
    deps.logger.warn('spool off: a shared data root needs nodeName set (host names change with containers)');
  if (!accept && !args.housekeeping) return undefined;
  return Spool.open(deps, { maxBacklog: config.spool.maxBacklog, maxArrivalBytes: config.spool.maxArrivalBytes, accept });
}
