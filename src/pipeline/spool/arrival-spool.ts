import type { AcceptResult } from '../staging/accept-result.js';
import type { SpoolRecord } from './spool-record.js';

/**
 * What the pipeline's entry sees of the spool (PipelineDeps.spool). Its own file, so the
 * pipeline's dependencies name the spool without importing it (the spool itself needs them).
 */
export interface ArrivalSpool {
  /** The largest arrival it takes, in bytes: a transport holds one this small in memory and offers it. */
  readonly maxArrivalBytes: number;
  /** False while stopping, without the lock, or with too many arrivals not yet in their folders: use the folder path. */
  accepting(): boolean;
  /** Resolves once the arrival is durable in the spool and its job row committed. */
  commit(record: SpoolRecord): Promise<AcceptResult>;
}
