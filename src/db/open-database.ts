import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Logger } from '../logging/logging.js';
import type { Database } from './database-schema.js';
import { startEmbeddedPostgres } from './embedded-postgres.js';

export interface DatabaseHandle {
  readonly db: Kysely<Database>;
  /** True when this process started its own embedded PostgreSQL. */
  readonly embedded: boolean;
  close(): Promise<void>;
}

export interface OpenDatabaseArgs {
  readonly url: string | null;
  readonly dataRoot: string;
  readonly embeddedPort: number;
  readonly poolSize: number;
  readonly logger: Logger;
}

/** Connects to DATABASE_URL, or starts the embedded server when none is configured. */
export async function openDatabase(args: OpenDatabaseArgs): Promise<DatabaseHandle> {
  const embedded = args.url === null ? await startEmbeddedPostgres({ dataRoot: args.dataRoot, port: args.embeddedPort, logger: args.logger }) : null;
  const pool = new pg.Pool({
    connectionString: embedded?.url ?? args.url ?? undefined,
    max: args.poolSize,
    // Fail fast instead of hanging an SMTP client until its own timeout when the database is down.
    connectionTimeoutMillis: 5_000,
    // A peer that vanished (half-open TCP) is noticed by the kernel instead of never.
    keepAlive: true,
  });
  pool.on('error', (error) => args.logger.warn('idle database connection failed', { error: error.message }));
  // A connection that fails while checked out (the server restarted, an administrator ended it)
  // emits 'error' as well as failing its query; without a listener that event would end the process.
  pool.on('connect', (client) => client.on('error', (error) => args.logger.warn('database connection failed', { error: error.message })));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return {
    db,
    embedded: embedded !== null,
    async close() {
      await db.destroy();
      if (embedded !== null) await embedded.stop();
    },
  };
}
