import type Router from '@koa/router';
import type { Middleware, ParameterizedContext } from 'koa';
import { badRequest } from './http-error.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the API's and the console's routers (their states differ)
type AnyRouter = Router<any>;

const NUL = '\u0000';
export const NUL_MESSAGE = 'must not contain a NUL character (\\u0000)';
/** Escaped NUL in a path or query: `%00`, the only way one can arrive there. */
const ENCODED_NUL = /%00/i;

/**
 * One rule for every text a request carries: a NUL character is a 400 naming the parameter.
 * PostgreSQL's `text` and `jsonb` reject NUL (22021, 22P05), and file names cannot hold one, so
 * letting it through ends in a 500 somewhere deep. Headers never get here with one: Node's parser
 * answers 400 itself. This covers the query (keys and values) and path parameters of every route,
 * named as the router names them; `rejectNulInJsonBody` covers JSON bodies.
 */
export function rejectNulInQueryAndPath(routers: readonly AnyRouter[]): Middleware {
  return async (ctx, next) => {
    if (ENCODED_NUL.test(ctx.querystring)) {
      for (const [key, value] of Object.entries(ctx.query)) {
        const values = Array.isArray(value) ? value : [value ?? ''];
        if (key.includes(NUL) || values.some((entry) => entry.includes(NUL))) throw badRequest(key, NUL_MESSAGE);
      }
    }
    if (ENCODED_NUL.test(ctx.path)) throw badRequest(pathParameterWithNul(ctx, routers), NUL_MESSAGE);
    await next();
  };
}

/** After the JSON body parser: any string (or key) in the body with a NUL is a 400 naming its field. */
export const rejectNulInJsonBody: Middleware = async (ctx, next) => {
  const field = fieldWithNul((ctx.request as { body?: unknown }).body, []);
  if (field !== undefined) throw badRequest(field, NUL_MESSAGE);
  await next();
};

/** A JSON text holding a NUL, raw or escaped (`\u0000`), for bodies read as text (the S3 webhook). */
export function jsonTextHasNul(text: string): boolean {
  return text.includes(NUL) || /\\u0000/i.test(text);
}

/** The field path (`ingestAddresses.1`, `filter.customer`) of the first string holding a NUL; `body` for the body itself. */
export function fieldWithNul(value: unknown, path: readonly (string | number)[]): string | undefined {
  if (typeof value === 'string') return value.includes(NUL) ? (path.length === 0 ? 'body' : path.join('.')) : undefined;
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) {
      const found = fieldWithNul(item, [...path, index]);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      if (key.includes(NUL)) return [...path, key.replaceAll(NUL, '\\u0000')].join('.');
      const found = fieldWithNul(item, [...path, key]);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

/** The name of the route's path parameter holding the NUL (`slug`, `id`…), or `path` when no route matches. */
function pathParameterWithNul(ctx: ParameterizedContext, routers: readonly AnyRouter[]): string {
  for (const router of routers) {
    for (const layer of router.match(ctx.path, ctx.method).pathAndMethod) {
      const params = layer.params(ctx.path, layer.captures(ctx.path));
      const name = Object.entries(params).find(([, value]) => typeof value === 'string' && value.includes(NUL))?.[0];
      if (name !== undefined) return name;
    }
  }
  return 'path';
}
