import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import Koa from 'koa';
import { createMetrics } from '../metrics/metrics.js';
import { IngestError } from '../core/ingest-error.js';
import { lazyS3Client } from '../s3events/s3-client.js';
import type { AppDeps } from './app-deps.js';
import { requireApiKey, type AuthState } from './auth.js';
import { codeForStatus, errorResponse } from './http-error.js';
import { recordRequestMetrics } from './http-metrics.js';
import { accessLog } from './access-log.js';
import { limitBodyTime } from './limit-body-time.js';
import { rateLimitPerKey } from './rate-limit.js';
import { rejectNulInJsonBody, rejectNulInQueryAndPath } from './reject-nul-characters.js';
import { apiKeysRoutes } from './admin/api-keys-routes.js';
import { customersRoutes } from './admin/customers-routes.js';
import { holdsRoutes } from './admin/holds-routes.js';
import { alertsRoutes } from './alerts/alerts-routes.js';
import { sourcesRoutes } from './sources/sources-routes.js';
import { refusedRoutes } from './refused/refused-routes.js';
import { purgeRoutes } from './admin/purge-routes.js';
import { docsRoutes } from './ops/docs-routes.js';
import { jobActionsRoutes } from './jobs/job-actions-routes.js';
import { unclassifiedRoutes } from './jobs/unclassified-routes.js';
import { jobFilesRoutes } from './jobs/job-files-routes.js';
import { jobsRoutes } from './jobs/jobs-routes.js';
import { opsRoutes } from './ops/ops-routes.js';
import { s3EventsRoutes } from './uploads/s3-events-routes.js';
import { uploadStreamRoutes, uploadsRoutes, type UploadsRoutesDeps } from './uploads/uploads-routes.js';
import { veritasTriggerRoutes } from './uploads/veritas-trigger-routes.js';
import { UploadProgressRegistry } from './uploads/upload-progress.js';
import { archiveRootOf } from '../pipeline/paths.js';
import { consoleErrorPages, consoleRouters } from './console/console-routes.js';

export const API_PREFIX = '/api/1.0';

/** The REST API: a thin translation of HTTP into repository and pipeline calls. */
export function createApp(deps: AppDeps): Koa<AuthState> {
  // maxIpsCount 1: the client address is the one the nearest proxy saw, not what the client claimed.
  const app = new Koa<AuthState>({ proxy: deps.config.http.trustProxy, maxIpsCount: 1 });
  app.silent = true;
  const metrics = deps.metrics ?? createMetrics();
  app.use(recordRequestMetrics(metrics));
  app.use(accessLog(deps.logger));

  app.use(async (ctx, next) => {
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
    if (ctx.status >= 400 && (ctx.body === undefined || ctx.body === null)) {
      // The router's 404/405/501 come without a body: every error answer is JSON.
      const status = ctx.status;
      ctx.body = {
        error: {
          code: codeForStatus(status),
          message:
            status === 404 ? `no route for ${ctx.method} ${ctx.path}` : status === 405 ? `${ctx.method} is not allowed on ${ctx.path}` : 'request not handled',
        },
      };
      ctx.status = status;
    }
  });

  const root = new Router<AuthState>();
  root.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' };
  });
  for (const routes of [opsRoutes(deps, metrics), docsRoutes(API_PREFIX)]) root.use(routes.routes());
  // The S3 webhook authenticates with its own token (senders cannot send X-Api-Key), so it sits outside `api`.
  const webhookToken = deps.config.s3.webhook.token;
  if (deps.objectJobs !== undefined && webhookToken !== null) {
    const webhook = s3EventsRoutes({ prefix: API_PREFIX, token: webhookToken, bodyLimitBytes: deps.config.http.bodyLimitBytes, objectJobs: deps.objectJobs });
    root.use(webhook.routes(), webhook.allowedMethods());
  }

  const authenticate = requireApiKey(deps.db);
  const rateLimit = rateLimitPerKey(deps.config.http.rateLimit.pointsPerSecond);
  const { presign } = deps.config.uploads;
  const uploads: UploadsRoutesDeps = {
    db: deps.db,
    config: deps.config,
    prefix: API_PREFIX,
    accept: deps.accept,
    progress: new UploadProgressRegistry(),
    ...(deps.moduleKeys === undefined ? {} : { moduleKeys: deps.moduleKeys }),
    // Signing only: this client never opens a connection, so it needs no shutdown. Made on the
    // first presign request, so the SDK stays unloaded until then.
    presignClient: presign.enabled ? lazyS3Client({ ...deps.config.s3, endpoint: presign.endpoint }).get : null,
  };
  // A direct upload's body is the file: its route sits outside `api` and its JSON body parser,
  // so the request stream reaches it untouched; it applies the same key check and rate limit.
  const uploadStream = uploadStreamRoutes(uploads, [authenticate, rateLimit]);
  // Before every router (app middleware runs in order). Direct uploads are exempt: they may
  // stream for hours, and stageUploadBody cuts idle ones instead.
  app.use(
    limitBodyTime({
      limitMs: deps.config.http.timeouts.bodySeconds * 1000,
      isStreamed: (ctx) => uploadStream.match(ctx.path, ctx.method).route,
    }),
  );

  const api = new Router<AuthState>({ prefix: API_PREFIX });
  api.use(authenticate, rateLimit);
  api.use(
    bodyParser({ enableTypes: ['json'], jsonLimit: deps.config.http.bodyLimitBytes, onError: rejectBody(deps.config.http.bodyLimitBytes) }),
    rejectNulInJsonBody,
  );
  // One line per route module; each is a thin translation of HTTP into repository/pipeline calls.
  for (const routes of [
    jobsRoutes(deps.db),
    jobFilesRoutes(deps.db, deps.config.dataRoot),
    jobActionsRoutes(deps),
    unclassifiedRoutes(deps),
    customersRoutes(deps.db, deps.config.smtp.ingestDomains, {
      dataRoot: deps.config.dataRoot,
      archiveRoot: archiveRootOf(deps.config),
      archiveS3: deps.config.archive.s3,
    }),
    holdsRoutes(deps.db),
    sourcesRoutes(deps.db, deps.config.sources.expectedIntervalHours),
    refusedRoutes(deps.db),
    alertsRoutes(deps),
    apiKeysRoutes(deps.db),
    uploadsRoutes(uploads),
    ...(deps.objectJobs === undefined ? [] : [veritasTriggerRoutes({ db: deps.db, objectJobs: deps.objectJobs })]),
    ...(deps.purge === undefined ? [] : [purgeRoutes(deps.purge)]),
  ])
    api.use(routes.routes(), routes.allowedMethods());

  // The operator console (/console): its own session sign-in, outside the key-auth router.
  const consoleRoutes = consoleRouters(deps, metrics);
  app.use(consoleErrorPages(deps.logger));

  // Before any route runs (and before the key check: a NUL is refused the same for everyone). The
  // routers (the root one holds the webhook's routes) name the path parameter holding it.
  app.use(rejectNulInQueryAndPath([root, uploadStream, api, ...consoleRoutes]));
  app.use(root.routes()).use(root.allowedMethods());
  app.use(uploadStream.routes()).use(uploadStream.allowedMethods());
  app.use(api.routes()).use(api.allowedMethods());
  for (const router of consoleRoutes) app.use(router.routes()).use(router.allowedMethods());
  return app;
}

/** A body over the limit is 413, a malformed one 400; neither echoes the body back. */
function rejectBody(limitBytes: number): (error: Error) => never {
  return (error) => {
    const status = (error as { status?: unknown }).status;
    if (status === 413) throw new IngestError('PAYLOAD_TOO_LARGE', `body: larger than the limit of ${limitBytes} bytes`);
    if (status === 415) throw new IngestError('UNSUPPORTED_MEDIA_TYPE', 'body: unsupported encoding; send UTF-8 JSON');
    throw new IngestError('BAD_REQUEST', 'body: is not valid JSON', { details: { field: 'body' } });
  };
}
