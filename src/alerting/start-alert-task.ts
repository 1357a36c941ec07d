import type { Kysely } from 'kysely';
import type { Config } from '../config/config-schema.js';
import type { Database } from '../db/database-schema.js';
import type { Logging } from '../logging/logging.js';
import type { Metrics } from '../metrics/metrics.js';
import { AlertTask } from './alert-task.js';
import type { SqsAlertStats } from './check-service-health.js';

/** The alert task as src/main.ts runs it: its own log, the process's metrics, started. */
export function startAlertTask(args: {
  readonly db: Kysely<Database>;
  readonly config: Config;
  readonly logging: Logging;
  readonly metrics: Metrics;
  readonly spoolBacklog: () => number | undefined;
  readonly sqs: () => SqsAlertStats | undefined;
}): AlertTask {
  const { metrics } = args;
  const task = new AlertTask({
    db: args.db,
    config: args.config,
    logger: args.logging.for('alerts'),
    spoolBacklog: args.spoolBacklog,
    sqs: args.sqs,
    observe: {
      notified: ({ kind, state }) => metrics.alertNotifications.inc({ kind, state }),
      attempted: (outcome) => metrics.alertDeliveries.inc({ outcome }),
    },
  });
  task.start();
  return task;
}
