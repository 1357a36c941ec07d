import type { Kysely } from 'kysely';
import type { Config } from '../config/config-schema.js';
import type { Database } from '../db/database-schema.js';
import { migrateToLatest } from '../db/migrate-to-latest.js';
import { openDatabase } from '../db/open-database.js';
import { Logging } from '../logging/logging.js';

export type WithDatabase = <T>(run: (db: Kysely<Database>) => Promise<T>) => Promise<T>;

/** A one-shot command needs a connection and a spare, never the service's pool. */
const CLI_POOL_SIZE = 2;

/**
 * Opens the database for one command (migrating it first, as `serve` would, unless told not to),
 * runs `run`, and closes it again whatever happens. Warnings go to the log folder, never to the
 * terminal: the command's own output is what scripts read.
 */
export async function withDatabase<T>(config: Config, run: (db: Kysely<Database>) => Promise<T>, options: { readonly migrate?: boolean } = {}): Promise<T> {
  const logging = new Logging({ logDir: config.logDir, level: 'warn', console: false });
  const handle = await openDatabase({
    url: config.database.url,
    dataRoot: config.dataRoot,
    embeddedPort: config.database.embeddedPort,
    poolSize: CLI_POOL_SIZE,
    logger: logging.for('cli'),
  });
  try {
    if (options.migrate !== false) await migrateToLatest(handle.db);
    return await run(handle.db);
  } finally {
    await handle.close();
    await logging.close();
  }
}
