import type { Kysely } from 'kysely';
import type { Config } from '../config/config-schema.js';
import type { Database } from '../db/database-schema.js';
import type { Logger } from '../logging/logging.js';
import type { ModuleRegistry } from '../modules/registry.js';
import type { ArrivalSpool } from './spool/arrival-spool.js';

/** What the pipeline core needs from the composition root (src/main.ts). */
export interface PipelineDeps {
  readonly db: Kysely<Database>;
  readonly config: Config;
  readonly registry: ModuleRegistry;
  readonly logger: Logger;
  /** Group commit for small arrivals (SMTP); absent in one-shot commands (CLI ingest, mailhandler). */
  readonly spool?: ArrivalSpool;
  /** Called when a job becomes runnable, so a local worker can start it without waiting for its poll. */
  readonly onJobQueued?: () => void;
  /** Called when staging leaves jobs unclassified (no module matched), so alerting can look at once. */
  readonly onJobUnclassified?: () => void;
  /** Called once per run that ends a job (metrics, alerting). */
  readonly onJobFinished?: (outcome: { readonly category: string; readonly type: string; readonly status: string; readonly durationSeconds: number }) => void;
}
