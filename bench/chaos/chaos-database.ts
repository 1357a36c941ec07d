import path from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../src/db/embedded-postgres.js';
import { Logging } from '../../src/logging/logging.js';
import { freePort } from '../support/service-process.js';

const QUERY_CONNECT_TIMEOUT_MS = 3000;

/**
 * The harness's own PostgreSQL (the embedded server the service uses without DATABASE_URL) on
 * a free port of its own, so it can be stopped for the outage phase. Never the machine's server.
 */
export class ChaosDatabase {
  readonly #dir: string;
  readonly #port: number;
  readonly #logging: Logging;
  #server: EmbeddedDatabase | undefined;
  #url = '';

  private constructor(dir: string, port: number) {
    this.#dir = dir;
    this.#port = port;
    this.#logging = new Logging({ logDir: path.join(dir, 'log'), level: 'warn', console: false });
  }

  static async start(dir: string): Promise<ChaosDatabase> {
    const database = new ChaosDatabase(dir, await freePort());
    await database.startServer();
    return database;
  }

  get url(): string {
    return this.#url;
  }

  get port(): number {
    return this.#port;
  }

  /** Starts (again) on the same folder and port; resolves once it accepts connections. */
  async startServer(): Promise<void> {
    this.#server = await startEmbeddedPostgres({ dataRoot: this.#dir, port: this.#port, logger: this.#logging.for('chaos-db') });
    this.#url = this.#server.url;
  }

  /** Stops the server (fast shutdown: sessions are cut, as in a failover or a crash of the host). */
  async stopServer(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    await server?.stop();
  }

  async close(): Promise<void> {
    await this.stopServer();
    await this.#logging.close();
  }

  /** One query on a short-lived connection; rejects (never crashes the harness) while the server is down. */
  async query<Row extends pg.QueryResultRow>(text: string, values: readonly unknown[] = []): Promise<Row[]> {
    const client = new pg.Client({ connectionString: this.#url, connectionTimeoutMillis: QUERY_CONNECT_TIMEOUT_MS });
    // A server going away emits 'error' on an idle client; unhandled, it would end the harness.
    client.on('error', () => undefined);
    await client.connect();
    try {
      return (await client.query<Row>(text, [...values])).rows;
    } finally {
      await client.end().catch(() => undefined);
    }
  }
}
