import Router from '@koa/router';
import Koa from 'koa';
import type { Kysely } from 'kysely';
import type { Config } from '../config/config-schema.js';
import type { Database } from '../db/database-schema.js';
import type { Logger } from '../logging/logging.js';
import type { Arrival, AcceptResult } from '../pipeline/accept.js';
import { requireApiKey, type AuthState } from './auth.js';
import { errorResponse } from './http-error.js';
import { jobsRoutes } from './routes/jobs-routes.js';

export const API_PREFIX = '/api/1.0';

export interface AppDeps {
  readonly db: Kysely<Database>;
  readonly config: Config;
  readonly logger: Logger;
  /** The pipeline's entry, for routes that start jobs. */
  readonly accept: (arrival: Arrival) => Promise<AcceptResult>;
}

/** The REST API: a thin translation of HTTP into repository and pipeline calls. */
export function createApp(deps: AppDeps): Koa<AuthState> {
  const app = new Koa<AuthState>({ proxy: false });
  app.silent = true;

  app.use(async (ctx, next) => {
    const started = performance.now();
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('Cache-Control', 'no-store');
    try {
      await next();
    } catch (error) {
      const { status, body } = errorResponse(error);
      ctx.status = status;
      ctx.body = body;
      if (status >= 500) deps.logger.error('request failed', { method: ctx.method, path: ctx.path, error: String(error), stack: (error as Error).stack });
    }
    if (ctx.status === 404 && ctx.body === undefined) {
      ctx.status = 404;
      ctx.body = { error: { code: 'NOT_FOUND', message: `no route for ${ctx.method} ${ctx.path}` } };
    }
    // The path only: query strings may carry secrets, and X-Api-Key is never logged.
    deps.logger.debug('request', { method: ctx.method, path: ctx.path, status: ctx.status, ms: Math.round(performance.now() - started) });
  });

  const root = new Router<AuthState>();
  root.get('/healthz', (ctx) => { ctx.body = { status: 'ok' }; });

  const api = new Router<AuthState>({ prefix: API_PREFIX });
  api.use(requireApiKey(deps.db));
  // One line per route module; each is a thin translation of HTTP into repository/pipeline calls.
  for (const routes of [jobsRoutes(deps.db)]) api.use(routes.routes(), routes.allowedMethods());

  app.use(root.routes()).use(root.allowedMethods());
  app.use(api.routes()).use(api.allowedMethods());
  return app;
}
