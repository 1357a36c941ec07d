import type { Middleware } from 'koa';
import type { Logger } from '../logging/logging.js';
import type { AuthState } from './auth.js';

/**
 * The access log: one JSON line per request in `dataprocessor_http.log` (the `http` logger), at
 * info so it is written with the default level. It carries the route template beside the path so
 * lines group by endpoint, and the key's id, never the key. The query string is left out: a
 * presigned URL or a purge confirmation token would otherwise land in the log.
 */
export function accessLog(logger: Logger): Middleware<AuthState> {
  return async (ctx, next) => {
    const started = performance.now();
    try {
      await next();
    } finally {
      const route = (ctx as { _matchedRoute?: unknown })._matchedRoute;
      const caller = (ctx.state as Partial<AuthState>).caller;
      logger.info('request', {
        method: ctx.method,
        // A prefix mount (the console's router) matches by a pattern, not a template: no route then.
        route: typeof route === 'string' && route.startsWith('/') ? route : null,
        path: ctx.path,
        status: ctx.status,
        durationMs: Math.round((performance.now() - started) * 10) / 10,
        bytes: ctx.response.length ?? null,
        keyId: caller?.keyId ?? null,
        remote: ctx.ip,
      });
    }
  };
}
