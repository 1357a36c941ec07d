import type { ApiKeyIdentity } from '../../db/api-keys-repository.js';
import type { JobSource, JobStatus } from '../../db/database-schema.js';
import type { JobListFilter } from '../../db/job-filter.js';
import { badRequest } from '../http-error.js';
import { VISIBLE_JOB_STATUSES } from '../common-schemas.js';
import { MAX_SEARCH_CHARS, MIN_SEARCH_CHARS } from './jobs-schemas.js';
import { JOB_SOURCES } from '../../db/database-schema.js';

/** The filter fields as they arrive, from a query string or a replay body (already shape-checked). */
export interface RawJobFilter {
  readonly customer?: string | undefined;
  readonly status?: string | readonly string[] | undefined;
  readonly source?: string | undefined;
  readonly category?: string | undefined;
  readonly type?: string | undefined;
  readonly group?: string | undefined;
  readonly received_since?: string | undefined;
  readonly received_until?: string | undefined;
  readonly q?: string | undefined;
}

/**
 * Turns request filter fields into a repository filter, naming the field of any bad value, and
 * applies the caller's scope: a customer key always filters on its own customer.
 * Returns `undefined` when a customer key asks for another customer: the answer is simply empty.
 */
export function jobFilterFrom(raw: RawJobFilter, caller: ApiKeyIdentity, prefix = ''): JobListFilter | undefined {
  const field = (name: string): string => `${prefix}${name}`;
  const requestedCustomer = nonEmpty(raw.customer);
  if (caller.role === 'customer' && requestedCustomer !== undefined && requestedCustomer !== caller.customer) return undefined;
  // A customer key always has a customer (a CHECK in migration 0001); '-' can never be a slug, so a gap matches nothing.
  const customer = caller.role === 'admin' ? requestedCustomer : (caller.customer ?? '-');

  const statusValues = typeof raw.status === 'string' ? raw.status.split(',') : [...(raw.status ?? [])];
  const statuses = statusValues
    .map((value) => value.trim())
    .filter((value) => value !== '')
    .map((value) => {
      if (!(VISIBLE_JOB_STATUSES as readonly string[]).includes(value))
        throw badRequest(field('status'), `unknown status "${value}"; use one of ${VISIBLE_JOB_STATUSES.join(', ')}`);
      return value as JobStatus;
    });
  const source = nonEmpty(raw.source);
  if (source !== undefined && !(JOB_SOURCES as readonly string[]).includes(source))
    throw badRequest(field('source'), `unknown source "${source}"; use one of ${JOB_SOURCES.join(', ')}`);

  const typeParam = nonEmpty(raw.type);
  const [category, type] = typeParam?.includes('/') === true ? typeParam.split('/', 2) : [nonEmpty(raw.category), typeParam];
  const receivedSince = parseTime(raw.received_since, field('received_since'));
  const receivedUntil = parseTime(raw.received_until, field('received_until'));
  if (receivedSince !== undefined && receivedUntil !== undefined && receivedSince >= receivedUntil)
    throw badRequest(field('received_until'), 'must be later than received_since');
  const text = nonEmpty(raw.q)?.trim();
  if (text !== undefined && (text.length < MIN_SEARCH_CHARS || text.length > MAX_SEARCH_CHARS))
    throw badRequest(field('q'), `give ${MIN_SEARCH_CHARS} to ${MAX_SEARCH_CHARS} characters`);
  const group = nonEmpty(raw.group);

  return {
    ...(customer === undefined ? {} : { customer }),
    statuses,
    ...(category === undefined || category === '' ? {} : { category }),
    ...(type === undefined || type === '' ? {} : { type }),
    ...(source === undefined ? {} : { source: source as JobSource }),
    ...(group === undefined ? {} : { group }),
    ...(receivedSince === undefined ? {} : { receivedSince }),
    ...(receivedUntil === undefined ? {} : { receivedUntil }),
    ...(text === undefined ? {} : { text }),
  };
}

/**
 * ISO 8601: a date (midnight UTC) or a date-time with `Z` or an offset; a time without a zone
 * would depend on the server's zone, so it is refused. An unencoded `+02:00` in a query string
 * arrives as ` 02:00` and is read as meant.
 */
export function parseTime(value: string | undefined, field: string): Date | undefined {
  if (value === undefined || value === '') return undefined;
  const text = value.replace(/ (\d{2}:\d{2})$/, '+$1');
  if (!/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/.test(text))
    throw badRequest(field, 'must be an ISO 8601 date, or a date-time with Z or an offset, e.g. 2023-01-13T03:00:00Z');
  const at = new Date(text);
  if (Number.isNaN(at.getTime())) throw badRequest(field, 'is not a valid date');
  return at;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
