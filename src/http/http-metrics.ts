import type { Middleware } from 'koa';
import type { Metrics } from '../metrics/metrics.js';

/**
 * Times every request by its route template (`/api/1.0/jobs/:id`, never the id itself, so the
 * label set stays small); unmatched paths share one label.
 */
export function recordRequestMetrics(metrics: Metrics): Middleware {
  return async (ctx, next) => {
    const stop = metrics.httpRequestDurationSeconds.startTimer();
    try {
      await next();
    } finally {
      const route = (ctx as { _matchedRoute?: unknown })._matchedRoute;
      stop({ method: ctx.method, route: typeof route === 'string' ? route : 'unmatched', status: String(ctx.status) });
    }
  };
}
