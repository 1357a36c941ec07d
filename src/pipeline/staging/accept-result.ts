import type { JobRow } from '../../db/database-schema.js';

/** What accepting an arrival gives its transport, once the arrival is durable and its job committed. */
export interface AcceptResult {
  readonly job: JobRow;
  /** True when an earlier arrival with the same idempotency key already made this job. */
  readonly duplicate: boolean;
}
