import type { ParameterizedContext } from 'koa';
import type { z } from 'zod';
import { IngestError } from '../core/ingest-error.js';
import { badRequest } from './http-error.js';

/**
 * Validates a request part against its schema (the same schema the OpenAPI document shows) and
 * turns the first problem into a 400 whose message starts with the field: `limit: …`,
 * `filter.status.0: …`, `body: …`. Unknown fields are rejected by the strict schemas, so a typo
 * never silently widens a query or a mass-assignment slips through.
 */
export function parseInput<T extends z.ZodType>(schema: T, value: unknown, root: 'query' | 'body'): z.infer<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  if (issue === undefined) throw badRequest(root, 'is not valid');
  if (issue.code === 'unrecognized_keys') {
    const field = [...issue.path, issue.keys[0] ?? '?'].join('.');
    throw badRequest(field, root === 'query' ? 'is not a parameter of this route' : 'is not a field of this request');
  }
  const field = issue.path.length === 0 ? root : issue.path.join('.');
  throw badRequest(field, issue.message);
}

/**
 * The query string as single strings. Parameters listed in `repeatable` may be given several
 * times (joined with commas); any other parameter given twice is an error, not a silent pick.
 */
export function queryOf(ctx: ParameterizedContext, repeatable: readonly string[] = []): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(ctx.query)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) {
      if (!repeatable.includes(key)) throw badRequest(key, 'give it once');
      out[key] = value.join(',');
    } else {
      out[key] = value;
    }
  }
  return out;
}

/**
 * The parsed JSON body ({} when there is none). A body of another type gets 415 instead of being
 * ignored, so a client sending form data learns why its fields were not taken.
 */
export function jsonBodyOf(ctx: ParameterizedContext): unknown {
  const body = (ctx.request as { body?: unknown }).body;
  const hasBody = ctx.get('Transfer-Encoding') !== '' || Number(ctx.get('Content-Length') || '0') > 0;
  if (hasBody && !ctx.is('application/json')) {
    throw new IngestError('UNSUPPORTED_MEDIA_TYPE', 'body: send JSON with Content-Type: application/json');
  }
  return body ?? {};
}
