import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { Kysely } from 'kysely';
import { addCustomer } from '../../src/db/customers-repository.js';
import type { SenderAuthRequirement } from '../../src/core/sender-auth-requirement.js';
import type { Database, JobRow, JobStatus } from '../../src/db/database-schema.js';
import { findJob } from '../../src/db/jobs-repository.js';
import { openDatabase, type DatabaseHandle } from '../../src/db/open-database.js';
import { Logging } from '../../src/logging/logging.js';
import { makeDataRoot } from './test-config.js';
import { createTestDatabase, type TestDatabase } from './test-database.js';

const TEST_ADMIN_KEY = 'test-admin-key-for-cli-processes-0123456789';

/**
 * A fresh database and data root for a service that runs in another process (the real CLI),
 * with the test's own connection to look at what that process did.
 */
export class ServiceDatabase {
  readonly #database: TestDatabase;
  readonly #handle: DatabaseHandle;
  readonly #logging: Logging;
  readonly dataRoot: string;

  private constructor(database: TestDatabase, handle: DatabaseHandle, logging: Logging, dataRoot: string) {
    this.#database = database;
    this.#handle = handle;
    this.#logging = logging;
    this.dataRoot = dataRoot;
  }

  static async create(): Promise<ServiceDatabase> {
    const database = await createTestDatabase();
    const dataRoot = await makeDataRoot();
    const logging = new Logging({ logDir: path.join(dataRoot, 'test-log'), level: 'error', console: false });
    const handle = await openDatabase({ url: database.url, dataRoot, embeddedPort: 0, poolSize: 2, logger: logging.for('test') });
    return new ServiceDatabase(database, handle, logging, dataRoot);
  }

  get db(): Kysely<Database> {
    return this.#handle.db;
  }

  get url(): string {
    return this.#database.url;
  }

  /** What spawnCliService needs besides the port and the worker switch. */
  get serviceArgs(): { readonly databaseUrl: string; readonly dataRoot: string; readonly adminApiKey: string } {
    return { databaseUrl: this.#database.url, dataRoot: this.dataRoot, adminApiKey: TEST_ADMIN_KEY };
  }

  /** Needs the schema: call after a service (or `migrate`) ran once. */
  async addCustomer(
    slug: string,
    extra: { readonly allowedSenders?: readonly string[]; readonly requireSenderAuth?: SenderAuthRequirement } = {},
  ): Promise<void> {
    await addCustomer(this.db, {
      slug,
      name: slug,
      ...(extra.allowedSenders === undefined ? {} : { allowedSenders: [...extra.allowedSenders] }),
      ...(extra.requireSenderAuth === undefined ? {} : { requireSenderAuth: extra.requireSenderAuth }),
    });
  }

  async waitForStatus(jobId: string, statuses: readonly JobStatus[], timeoutMs = 30_000): Promise<JobRow> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const job = await findJob(this.db, jobId);
      if (job !== undefined && statuses.includes(job.status)) return job;
      if (Date.now() > deadline) throw new Error(`job ${jobId} is ${job?.status ?? 'missing'}, expected ${statuses.join('|')}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async close(): Promise<void> {
    await this.#handle.close();
    await this.#logging.close();
    await this.#database.drop();
    await rm(this.dataRoot, { recursive: true, force: true });
  }
}
