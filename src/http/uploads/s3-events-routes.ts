import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import type { Middleware } from 'koa';
import { createHash, timingSafeEqual } from 'node:crypto';
import { IngestError } from '../../core/ingest-error.js';
import { handleNotificationBody } from '../../s3events/handle-notification.js';
import type { ObjectJobDeps } from '../../s3events/start-object-job.js';
import type { AuthState } from '../auth.js';
import { badRequest } from '../http-error.js';
import { jsonTextHasNul, NUL_MESSAGE } from '../reject-nul-characters.js';

export interface S3EventsRoutesDeps {
  /** The API's base path (`/api/1.0`); these routes sit outside the X-Api-Key router. */
  readonly prefix: string;
  /** `s3.webhook.token`. */
  readonly token: string;
  readonly bodyLimitBytes: number;
  readonly objectJobs: ObjectJobDeps;
}

/** Codes meaning "this body will never work": a 400, so the sender stops retrying it. */
const BAD_BODY_CODES = new Set(['NOTIFICATION_MALFORMED', 'NOTIFICATION_VERSION_UNSUPPORTED', 'OBJECT_UNROUTABLE', 'SEQUENCER_INVALID']);
/** SNS posts notifications as text/plain; MinIO and Ceph as application/json. Both are read as text. */
const NOTIFICATION_TYPES = ['application/json', 'application/*+json', 'text/plain'];

/**
 * `POST /api/1.0/s3/events`: S3 event notifications pushed over HTTP (MinIO webhook target, Ceph
 * bucket notifications, an SNS HTTP(S) subscription). The same payloads as the SQS queue, with
 * the same rules: answered 200 only once every announced object's job is committed; 503 asks the
 * sender to retry; 400 for a body that can never work.
 *
 * Authenticated by the configured token, compared in constant time as SHA-256 digests, before the
 * body is read: `Authorization: Bearer <token>` (MinIO's `auth_token`, Ceph), or HTTP Basic with
 * the token as the password (SNS puts credentials in the subscription URL and sends Basic).
 */
export function s3EventsRoutes(deps: S3EventsRoutesDeps): Router<AuthState> {
  const router = new Router<AuthState>({ prefix: deps.prefix });
  const readBody = bodyParser({
    enableTypes: ['text'],
    extendTypes: { text: NOTIFICATION_TYPES },
    textLimit: deps.bodyLimitBytes,
    onError: (error) => {
      if ((error as { status?: unknown }).status === 413)
        throw new IngestError('PAYLOAD_TOO_LARGE', `body: larger than the limit of ${deps.bodyLimitBytes} bytes`);
      throw badRequest('body', 'could not be read as UTF-8 text');
    },
  });

  router.post('/s3/events', requireWebhookToken(deps.token), readBody, async (ctx) => {
    const body = ctx.request.body;
    if (typeof body !== 'string') {
      throw new IngestError('UNSUPPORTED_MEDIA_TYPE', `body: send the notification as ${NOTIFICATION_TYPES.join(' or ')}`);
    }
    if (jsonTextHasNul(body)) throw badRequest('body', NUL_MESSAGE);
    const result = await handleNotificationBody(deps.objectJobs, { body, source: 'webhook' }).catch((error: unknown) => {
      throw asRequestError(error);
    });
    if (!result.acknowledge && result.error !== undefined) throw asRequestError(result.error);
    ctx.body = { kind: result.kind, records: result.records };
  });

  return router;
}

function requireWebhookToken(token: string): Middleware<AuthState> {
  const expected = sha256(token);
  return async (ctx, next) => {
    const presented = presentedToken(ctx.get('Authorization'));
    if (presented === undefined || !timingSafeEqual(sha256(presented), expected)) {
      ctx.set('WWW-Authenticate', 'Bearer realm="s3-events"');
      throw new IngestError('UNAUTHORIZED', 'a valid webhook token is required (Authorization: Bearer <token>)');
    }
    await next();
  };
}

function presentedToken(authorization: string): string | undefined {
  const separator = authorization.indexOf(' ');
  if (separator < 0) return undefined;
  const scheme = authorization.slice(0, separator).toLowerCase();
  const value = authorization.slice(separator + 1).trim();
  if (scheme === 'bearer') return value;
  if (scheme === 'basic') {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon < 0 ? undefined : decoded.slice(colon + 1);
  }
  return undefined;
}

function sha256(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

function asRequestError(error: unknown): unknown {
  if (error instanceof IngestError && BAD_BODY_CODES.has(error.code)) return badRequest('body', error.message);
  return error;
}
