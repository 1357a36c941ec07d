import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { Kysely } from 'kysely';
import type { Database, JobRow } from '../../../../src/db/database-schema.js';
import type { HydrastorTables } from '../../../../src/modules/hydrastor/db-schema.js';
import { builtInModules } from '../../../../src/modules/registry.js';
import type { AcceptResult } from '../../../../src/pipeline/accept.js';
import { writeMailFiles } from '../../../../src/pipeline/mail/write-mail-files.js';
import { startTestService, type TestService } from '../../../support/start-test-service.js';

const MAX_TEST_MAIL_BYTES = 10 * 1024 * 1024;

/** The real service with the built-in modules (HYDRAstor ones included), one customer per test. */
export async function startHydrastorService(customers: readonly string[], overrides: Record<string, unknown> = {}): Promise<TestService> {
  return startTestService({ modules: [...builtInModules], customers, overrides });
}

export function hydrastorDb(t: TestService): Kysely<Database & HydrastorTables> {
  return t.service.database.db.withTables<HydrastorTables>();
}

/**
 * Accepts a raw mail the way the SMTP transport does (no SMTP): staged by the transport's own
 * writeMailFiles into message.eml, body.txt, body.html and attachment-<n>.bin, classified by the
 * registry from the hints it learns.
 */
export async function acceptMail(
  t: TestService,
  args: {
    readonly customer: string;
    readonly raw: string | Buffer;
    readonly moduleKey?: string;
  },
): Promise<AcceptResult> {
  return t.service.accept({
    source: 'smtp',
    customer: args.customer,
    ...(args.moduleKey === undefined ? {} : { moduleKey: args.moduleKey }),
    writeFiles: (folder) => writeMailFiles({ folder, source: Readable.from([Buffer.from(args.raw)]), maxBytes: MAX_TEST_MAIL_BYTES }),
  });
}

/** Accepts a mail and waits until its job has ended. */
export async function ingestMail(
  t: TestService,
  args: { readonly customer: string; readonly raw: string | Buffer; readonly moduleKey?: string },
): Promise<{ accepted: JobRow; done: JobRow }> {
  const { job } = await acceptMail(t, args);
  const done = await t.waitForStatus(job.id, ['succeeded', 'failed', 'timed_out', 'cancelled']);
  return { accepted: job, done };
}

/** A resend of the same mail: same content, another Message-ID (so it is a new arrival, not a duplicate). */
export function resent(raw: string, tag: string): string {
  return raw.replace(/^Message-ID:(?:.*)(?:\r?\n[ \t].*)*/im, `Message-ID: <resent-${tag}@icecream-machine.example>`);
}

export function toCrlf(raw: string): string {
  return raw.replace(/\r?\n/g, '\r\n');
}

/** Every HYDRAstor row of a customer's grids, in a stable order: the whole state, for "nothing changed". */
export async function hydrastorState(t: TestService, customer: string): Promise<Record<string, unknown[]>> {
  const db = hydrastorDb(t);
  const grids = await db.selectFrom('hydrastor_grids').selectAll().where('customer', '=', customer).orderBy('id').execute();
  const ids = grids.map((grid) => grid.id);
  if (ids.length === 0) return { hydrastor_grids: [] };
  return {
    hydrastor_grids: grids,
    hydrastor_nodes: await db.selectFrom('hydrastor_nodes').selectAll().where('grid_id', 'in', ids).orderBy('grid_id').orderBy('node_name').execute(),
    hydrastor_capacity_snapshots: await db
      .selectFrom('hydrastor_capacity_snapshots')
      .selectAll()
      .where('grid_id', 'in', ids)
      .orderBy('grid_id')
      .orderBy('report_time')
      .execute(),
    hydrastor_filesystems: await db.selectFrom('hydrastor_filesystems').selectAll().where('grid_id', 'in', ids).orderBy('grid_id').orderBy('fs_name').execute(),
    hydrastor_replications: await db.selectFrom('hydrastor_replications').selectAll().where('grid_id', 'in', ids).orderBy('id').execute(),
    hydrastor_active_alerts: await db.selectFrom('hydrastor_active_alerts').selectAll().where('grid_id', 'in', ids).orderBy('id').execute(),
    hydrastor_alerts: await db.selectFrom('hydrastor_alerts').selectAll().where('grid_id', 'in', ids).orderBy('id').execute(),
  };
}

const LOG_WAIT_MS = 3000;

/** Waits for a worker log line (the job log) about `jobId` that satisfies `accept`; the file is written asynchronously. */
export async function waitForJobLog(t: TestService, jobId: string, accept: (line: string) => boolean): Promise<string> {
  const deadline = Date.now() + LOG_WAIT_MS;
  for (;;) {
    const text = await readFile(path.join(t.config.logDir, 'dataprocessor_worker.log'), 'utf8').catch(() => '');
    const line = text.split('\n').find((candidate) => candidate.includes(jobId) && accept(candidate));
    if (line !== undefined) return line;
    if (Date.now() > deadline) throw new Error(`no log line about job ${jobId} matched`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
