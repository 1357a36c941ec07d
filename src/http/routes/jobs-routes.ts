import Router from '@koa/router';
import type { Kysely } from 'kysely';
import { JOB_SOURCES, JOB_STATUSES, type Database, type JobSource, type JobStatus } from '../../db/database-schema.js';
import { findJob, isUuid, listJobEvents, listJobs, type JobListCursor } from '../../db/jobs-repository.js';
import type { AuthState } from '../auth.js';
import { badRequest, notFound } from '../http-error.js';
import { jobDetailView, jobSummaryView } from '../job-view.js';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 100;

/** GET /jobs and GET /jobs/:id; customer keys only ever see their own customer's jobs. */
export function jobsRoutes(db: Kysely<Database>): Router<AuthState> {
  const router = new Router<AuthState>();

  router.get('/jobs', async (ctx) => {
    const { caller } = ctx.state;
    const query = ctx.query;
    const requestedCustomer = single(query.customer, 'customer');
    if (caller.role === 'customer' && requestedCustomer !== undefined && requestedCustomer !== caller.customer) {
      ctx.body = { jobs: [], next: null };
      return;
    }
    const customer = caller.role === 'admin' ? requestedCustomer : caller.customer ?? undefined;
    const statuses = list(query.status, 'status').map((value) => {
      if (!(JOB_STATUSES as readonly string[]).includes(value) || value === 'staging') throw badRequest('status', `unknown status "${value}"; use one of ${JOB_STATUSES.filter((s) => s !== 'staging').join(', ')}`);
      return value as JobStatus;
    });
    const source = single(query.source, 'source');
    if (source !== undefined && !(JOB_SOURCES as readonly string[]).includes(source)) throw badRequest('source', `unknown source "${source}"`);
    const typeParam = single(query.type, 'type');
    const [category, type] = typeParam?.includes('/') === true ? typeParam.split('/', 2) : [single(query.category, 'category'), typeParam];
    const limit = parseLimit(single(query.limit, 'limit'));
    const cursorParam = single(query.cursor, 'cursor');
    const after = cursorParam === undefined ? undefined : decodeCursor(cursorParam);
    const group = single(query.group, 'group');
    const rows = await listJobs(db, {
      filter: {
        ...(customer === undefined ? {} : { customer }),
        statuses,
        ...(category === undefined ? {} : { category }),
        ...(type === undefined ? {} : { type }),
        ...(source === undefined ? {} : { source: source as JobSource }),
        ...(group === undefined ? {} : { group }),
      },
      limit: limit + 1,
      ...(after === undefined ? {} : { after }),
    });
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    ctx.body = {
      jobs: page.map(jobSummaryView),
      next: rows.length > limit && last !== undefined ? encodeCursor({ receivedAt: last.received_at, id: last.id }) : null,
    };
  });

  router.get('/jobs/:id', async (ctx) => {
    const { caller } = ctx.state;
    const job = isUuid(ctx.params.id ?? '') ? await findJob(db, ctx.params.id ?? '') : undefined;
    // Another customer's job answers exactly like a missing one: no enumeration.
    if (job === undefined || job.status === 'staging' || (caller.role === 'customer' && job.customer !== caller.customer)) throw notFound('job');
    ctx.body = jobDetailView(job, await listJobEvents(db, job.id));
  });

  return router;
}

function single(value: string | string[] | undefined, field: string): string | undefined {
  if (Array.isArray(value)) throw badRequest(field, 'give it once');
  return value === undefined || value === '' ? undefined : value;
}

function list(value: string | string[] | undefined, _field: string): string[] {
  const values = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return values.flatMap((item) => item.split(',')).map((item) => item.trim()).filter((item) => item !== '');
}

function parseLimit(value: string | undefined): number {
  if (value === undefined) return DEFAULT_PAGE_SIZE;
  if (!/^\d+$/.test(value)) throw badRequest('limit', 'must be a positive integer');
  return Math.min(MAX_PAGE_SIZE, Math.max(1, Number(value)));
}

export function encodeCursor(cursor: JobListCursor): string {
  return Buffer.from(`${cursor.receivedAt.toISOString()}|${cursor.id}`).toString('base64url');
}

function decodeCursor(value: string): JobListCursor {
  const [at, id] = Buffer.from(value, 'base64url').toString('utf8').split('|');
  const receivedAt = new Date(at ?? '');
  if (id === undefined || !isUuid(id) || Number.isNaN(receivedAt.getTime())) throw badRequest('cursor', 'is not a cursor this API returned');
  return { receivedAt, id };
}
