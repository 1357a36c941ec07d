import type { Kysely } from 'kysely';
import type { Config } from '../config/config-schema.js';
import type { Database } from '../db/database-schema.js';
import type { Logger } from '../logging/logging.js';
import type { Metrics } from '../metrics/metrics.js';
import type { Arrival, AcceptResult } from '../pipeline/accept.js';
import type { ObjectJobDeps } from '../s3events/start-object-job.js';
import type { PurgeControl } from './admin/purge-routes.js';

// Its own file, not create-app.ts: route modules take AppDeps, and create-app.ts imports them.

export interface ListenerStatus {
  readonly name: string;
  readonly up: boolean;
}

export interface AppDeps {
  readonly db: Kysely<Database>;
  readonly config: Config;
  readonly logger: Logger;
  /** The pipeline's entry, for routes that start jobs. */
  readonly accept: (arrival: Arrival) => Promise<AcceptResult>;
  /** The process's metrics registry (src/main.ts creates it); a private one when absent. */
  readonly metrics?: Metrics;
  /** The ingest listeners and whether each is up, for /readyz. */
  readonly listeners?: () => readonly ListenerStatus[];
  /** S3 uploads: the webhook (when `s3.webhook.token` is set) and the veritas2hview trigger need it. */
  readonly objectJobs?: ObjectJobDeps;
  /** The modules this instance runs (`<category>/<type>`): uploads of another type are refused before their body is read. */
  readonly moduleKeys?: readonly string[];
  /** The retention purge (GET/POST /admin/purge); absent in one-shot commands. */
  readonly purge?: PurgeControl;
  /** Sends due alert deliveries now (a test notification); absent: they wait for the next poll of an instance. */
  readonly deliverAlerts?: () => void;
}
