import type { Middleware, ParameterizedContext } from 'koa';
import { IngestError } from '../core/ingest-error.js';
import { errorResponse } from './http-error.js';

/**
 * A JSON body must be in within `limitMs` of the headers (a total, not an idle, limit: a client
 * trickling a byte a minute is as stuck as a silent one). The server's own `requestTimeout`
 * cannot do this because it would end multi-GiB uploads too; those (`isStreamed`) have their
 * own idle limit instead. On expiry the answer is a 408 sent at once, since the handler is still
 * waiting for the body, and the connection is closed.
 */
export function limitBodyTime(args: { readonly limitMs: number; readonly isStreamed: (ctx: ParameterizedContext) => boolean }): Middleware {
  return async (ctx, next) => {
    const { req, res } = ctx;
    if (req.complete || args.isStreamed(ctx)) return next();
    const timer = setTimeout(() => {
      if (req.complete) return;
      const close = (): void => {
        req.socket.destroy();
      };
      if (res.headersSent) {
        close();
        return;
      }
      const seconds = Math.round(args.limitMs / 100) / 10;
      const { status, body } = errorResponse(
        new IngestError('REQUEST_TIMEOUT', `body: not received within ${seconds} s (http.timeouts.bodySeconds); send the whole request at once`),
      );
      res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', Connection: 'close', 'Cache-Control': 'no-store' });
      res.end(JSON.stringify(body), close);
    }, args.limitMs);
    const stop = (): void => clearTimeout(timer);
    req.once('end', stop);
    req.once('close', stop);
    try {
      await next();
    } finally {
      if (req.complete) stop();
    }
  };
}
