import { randomUUID } from 'node:crypto';
import { access, rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { sql } from 'kysely';
import type { JobRow } from '../../src/db/database-schema.js';
import { jobFolder } from '../../src/lifecycle/job-folders.js';
import type { Arrival } from '../../src/pipeline/accept.js';
import type { TestService } from '../support/start-test-service.js';

/**
 * The retention windows of the tests: the only copy is kept (inboxDays null) except for alice (5);
 * an archived original goes after 10 days, the archive copy after 100, rows after 200.
 */
export const TEST_RETENTION = {
  enabled: false,
  batchSize: 3,
  pauseMs: 0,
  defaults: { inboxDays: null, inboxDaysWhenArchived: 10, archiveDays: 100, jobDays: 200, failedArrivalDays: 30, unclassifiedDays: 60 },
  overrides: [{ customer: 'alice', inboxDays: 5 }],
};

/** The test service with those windows, archive copies for test/echo, two customers, no sweeper. */
export const RETENTION_SERVICE_OPTIONS = {
  customers: ['bobs_burgers', 'alice'],
  overrides: { retention: TEST_RETENTION, modules: { 'test/echo': { archive: 'copy' } } },
};

/** What is left of a job: its row, its folders, and what the row says was purged. */
export interface JobRemains {
  readonly row: boolean;
  readonly inbox: boolean;
  readonly archive: boolean;
  readonly inboxPurged: boolean;
  readonly archivePurged: boolean;
}

export class RetentionFixture {
  constructor(readonly t: TestService) {}

  get db() {
    return this.t.service.database.db;
  }

  /** An echo job run to its end (succeeded, archived; or failed, not archived), then aged. */
  async finishedJob(args: { readonly customer?: string; readonly fail?: boolean; readonly daysAgo: number }): Promise<JobRow> {
    const arrival = this.t.echoArrival(
      { tag: randomUUID(), ...(args.fail === true ? { failPermanent: true } : {}) },
      { customer: args.customer ?? 'bobs_burgers' },
    );
    const { job } = await this.t.service.accept(arrival);
    const done = await this.t.waitForStatus(job.id, ['succeeded', 'failed']);
    await sql`UPDATE jobs SET finished_at = now() - make_interval(days => ${args.daysAgo}) WHERE id = ${job.id}`.execute(this.db);
    return done;
  }

  /** An arrival no module recognises, aged. */
  async unclassifiedJob(daysAgo: number): Promise<JobRow> {
    const tag = randomUUID();
    const arrival: Arrival = {
      source: 'api',
      customer: 'bobs_burgers',
      hints: { subject: `nobody knows this ${tag}` },
      writeFiles: async (folder) => {
        await folder.writeFile({ name: 'note.txt', source: Readable.from([`hello ${tag}`]), originalName: 'note.txt' });
      },
    };
    const { job } = await this.t.service.accept(arrival);
    await sql`UPDATE jobs SET received_at = now() - make_interval(days => ${daysAgo}) WHERE id = ${job.id}`.execute(this.db);
    return job;
  }

  /** A refused-arrival record (what recordFailedArrival leaves: a failed job whose source names the failure), aged. */
  async failedArrival(daysAgo: number): Promise<JobRow> {
    const job = await this.finishedJob({ fail: true, daysAgo });
    await sql`UPDATE jobs SET source_ref = source_ref || '{"failure": {"code": "S3_OBJECT_GONE", "message": "gone"}}'::jsonb WHERE id = ${job.id}`.execute(
      this.db,
    );
    return job;
  }

  /** A job some worker is running now, although it ended long ago once (a retried job). */
  async runningJob(daysAgo: number): Promise<JobRow> {
    const job = await this.finishedJob({ daysAgo });
    await sql`UPDATE jobs SET status = 'running', lease_owner = 'elsewhere', lease_expires_at = now() + interval '1 hour' WHERE id = ${job.id}`.execute(
      this.db,
    );
    return job;
  }

  async removeArchiveCopy(job: JobRow): Promise<void> {
    await rm(jobFolder(this.t.config, 'archive', job.relative_path), { recursive: true, force: true });
  }

  async remains(job: JobRow): Promise<JobRemains> {
    const row = await this.db.selectFrom('jobs').select(['inbox_purged_at', 'archive_purged_at']).where('id', '=', job.id).executeTakeFirst();
    const exists = (dir: string): Promise<boolean> =>
      access(dir).then(
        () => true,
        () => false,
      );
    return {
      row: row !== undefined,
      inbox: await exists(jobFolder(this.t.config, 'inbox', job.relative_path)),
      archive: await exists(jobFolder(this.t.config, 'archive', job.relative_path)),
      inboxPurged: row?.inbox_purged_at != null,
      archivePurged: row?.archive_purged_at != null,
    };
  }
}

export const KEPT: JobRemains = { row: true, inbox: true, archive: true, inboxPurged: false, archivePurged: false };
export const KEPT_UNARCHIVED: JobRemains = { ...KEPT, archive: false };
export const GONE: JobRemains = { row: false, inbox: false, archive: false, inboxPurged: false, archivePurged: false };
