import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Context, Middleware } from 'koa';
import type { ApiKeyIdentity } from '../../db/api-keys-repository.js';
import { createConsoleSession, deleteConsoleSession, findConsoleSession, hashSessionToken } from '../../db/console-sessions-repository.js';
import type { Database } from '../../db/database-schema.js';

/** A session ends this long after sign-in, whatever happens. */
export const SESSION_MAX_AGE_SECONDS = 12 * 60 * 60;
/** …and earlier when nobody used it for this long. */
export const SESSION_IDLE_SECONDS = 2 * 60 * 60;
const TOKEN_BYTES = 32;
const COOKIE = 'dp_console';
/** The cookie goes only to the console's own paths: the API never sees it. */
const COOKIE_PATH = '/console';

/** What every signed-in console request knows: who acts, and the form token its POSTs must carry. */
export interface ConsoleState {
  caller: ApiKeyIdentity;
  /** The per-session CSRF token (derived from the session token, so nothing more is stored). */
  csrf: string;
  sessionHash: Buffer;
}

/**
 * The CSRF token of a session: an HMAC of a fixed label under the session token. Only the cookie's
 * holder can compute it, the database (which keeps a hash of the token) cannot, and it needs no row.
 */
export function csrfTokenFor(sessionToken: string): string {
  return createHmac('sha256', sessionToken).update('dataprocessor console csrf').digest('base64url');
}

export function sameToken(presented: string, expected: string): boolean {
  const a = Buffer.from(presented);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Opens a session for a checked key and sets its cookie (HttpOnly, SameSite=Strict, Secure over TLS). */
export async function startSession(ctx: Context, db: Kysely<Database>, caller: ApiKeyIdentity): Promise<void> {
  const token = randomBytes(TOKEN_BYTES).toString('base64url');
  await createConsoleSession(db, {
    tokenHash: hashSessionToken(token),
    apiKeyId: caller.keyId,
    expiresAt: new Date(Date.now() + SESSION_MAX_AGE_SECONDS * 1000),
  });
  ctx.cookies.set(COOKIE, token, {
    httpOnly: true,
    sameSite: 'strict',
    // ctx.secure: the connection is TLS, or (http.trustProxy) the proxy in front says the browser used https.
    secure: ctx.secure,
    path: COOKIE_PATH,
    maxAge: SESSION_MAX_AGE_SECONDS * 1000,
    overwrite: true,
  });
}

export async function endSession(ctx: Context, db: Kysely<Database>, sessionHash: Buffer | undefined): Promise<void> {
  if (sessionHash !== undefined) await deleteConsoleSession(db, sessionHash);
  ctx.cookies.set(COOKIE, '', { httpOnly: true, sameSite: 'strict', secure: ctx.secure, path: COOKIE_PATH, maxAge: 0, overwrite: true });
}

/**
 * Reads the session cookie; without a live session (none, expired, idle, key revoked, customer
 * disabled) a page redirects to the sign-in form and any other request gets 401.
 */
export function requireSession(db: Kysely<Database>): Middleware<ConsoleState> {
  return async (ctx, next) => {
    const token = ctx.cookies.get(COOKIE);
    const sessionHash = token === undefined || token === '' || token.length > 100 ? undefined : hashSessionToken(token);
    const caller = sessionHash === undefined ? undefined : await findConsoleSession(db, { tokenHash: sessionHash, idleSeconds: SESSION_IDLE_SECONDS });
    if (token === undefined || sessionHash === undefined || caller === undefined || caller.customerDisabled) {
      if (ctx.method === 'GET' || ctx.method === 'HEAD') {
        ctx.redirect(`/console/sign-in?next=${encodeURIComponent(ctx.originalUrl)}`);
        return;
      }
      ctx.status = 401;
      ctx.type = 'text/plain; charset=utf-8';
      ctx.body = 'Your console session has ended: sign in again.';
      return;
    }
    ctx.state.caller = caller;
    ctx.state.csrf = csrfTokenFor(token);
    ctx.state.sessionHash = sessionHash;
    await next();
  };
}

/** A `next` target after sign-in: only a console path of this origin (never `//host` or a scheme). */
export function safeNext(value: unknown): string {
  return typeof value === 'string' && /^\/console(\/|\?|$)/.test(value) && !value.includes('\\') ? value : '/console';
}
