import type { Middleware } from 'koa';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { IngestError } from '../core/ingest-error.js';
import type { AuthState } from './auth.js';

const WINDOW_SECONDS = 1;

/**
 * Per-key request budget (after authentication, so the key's id is the bucket): `pointsPerSecond`
 * requests in any one-second window, then 429 with Retry-After. In memory, per process: several
 * instances each allow the budget, which is fine for a guard against runaway clients. 0 = off.
 */
export function rateLimitPerKey(pointsPerSecond: number): Middleware<AuthState> {
  if (pointsPerSecond === 0)
    return async (_ctx, next) => {
      await next();
    };
  const limiter = new RateLimiterMemory({ points: pointsPerSecond, duration: WINDOW_SECONDS });
  return async (ctx, next) => {
    try {
      await limiter.consume(ctx.state.caller.keyId);
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      const retryAfterSeconds = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
      ctx.set('Retry-After', String(retryAfterSeconds));
      throw new IngestError('RATE_LIMITED', `too many requests for this key: at most ${pointsPerSecond} per second; retry after ${retryAfterSeconds} s`);
    }
    await next();
  };
}
