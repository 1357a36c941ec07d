import type { Kysely } from 'kysely';
import type { Config } from '../config/config-schema.js';
import type { Database } from '../db/database-schema.js';
import type { Logger } from '../logging/logging.js';
import type { Metrics } from '../metrics/metrics.js';
import { ArchiveUploadTask } from './archive-upload-task.js';

/** The bucket tier's upload task with its metrics, started; undefined when `archive.s3` is not configured. */
export function startArchiveUploadTask(args: {
  readonly db: Kysely<Database>;
  readonly config: Config;
  readonly logger: Logger;
  readonly metrics: Metrics;
}): ArchiveUploadTask | undefined {
  const { config, metrics } = args;
  if (config.archive.s3 === null) return undefined;
  const task = new ArchiveUploadTask({
    db: args.db,
    config,
    settings: config.archive.s3,
    nodeName: config.node.name,
    logger: args.logger,
    observer: {
      uploaded: (bytes) => {
        metrics.archiveUploads.inc({ outcome: 'uploaded' });
        metrics.archiveUploadedBytes.inc(bytes);
      },
      failed: (reason) => metrics.archiveUploads.inc({ outcome: reason === 'verify' ? 'verify_failed' : 'failed' }),
    },
  });
  task.start();
  return task;
}
