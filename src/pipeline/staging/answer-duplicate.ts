import type { JobRow } from '../../db/database-schema.js';
import { readJobManifest } from '../../db/job-manifest.js';
import { IngestError } from '../../core/ingest-error.js';
import type { AcceptResult } from './accept-result.js';

/**
 * The answer to an arrival whose idempotency key an earlier arrival already holds. While that
 * first copy is still being made durable (or its writer died), acknowledging this one could
 * promise data that is not safe yet: the client is asked to retry. A first copy in the spool is
 * durable already, only its folder is still to be written.
 */
export function answerDuplicate(job: JobRow): AcceptResult {
  if (job.status === 'staging' && readJobManifest(job).spool === undefined) {
    throw new IngestError('ARRIVAL_IN_PROGRESS', 'the same arrival is being stored right now; try again shortly', { transient: true, expose: true });
  }
  return { job, duplicate: true };
}
