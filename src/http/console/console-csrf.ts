import type { Context, Middleware } from 'koa';
import { badRequest, forbidden } from '../http-error.js';
import { NUL_MESSAGE } from '../reject-nul-characters.js';
import { sameToken, type ConsoleState } from './console-session.js';

/**
 * A state-changing request must come from a page of this origin: its Origin header (every
 * browser sends one with a form POST), or its Referer when a privacy setting removed Origin,
 * names the origin the request was sent to. Neither: refused. SameSite=Strict already keeps the
 * cookie off cross-site requests; this check also covers sign-in, which has no session yet.
 */
export function isSameOrigin(ctx: Context): boolean {
  const expected = `${ctx.protocol}://${ctx.host}`;
  const origin = ctx.get('Origin');
  if (origin !== '') return origin === expected;
  const referer = ctx.get('Referer');
  if (referer === '') return false;
  try {
    return new URL(referer).origin === expected;
  } catch {
    return false;
  }
}

export const requireSameOrigin: Middleware = async (ctx, next) => {
  if (ctx.method !== 'GET' && ctx.method !== 'HEAD' && !isSameOrigin(ctx)) throw forbidden('the form was not sent from this console (Origin/Referer check)');
  await next();
};

/** The value of one form field as text ('' when absent, repeated or not text); a NUL is a 400, as everywhere. */
export function formField(ctx: Context, name: string): string {
  const body = (ctx.request as { body?: unknown }).body;
  const value = body !== null && typeof body === 'object' ? (body as Record<string, unknown>)[name] : undefined;
  if (typeof value !== 'string') return '';
  if (value.includes('\u0000')) throw badRequest(name, NUL_MESSAGE);
  return value;
}

/** Every POST of a signed-in session carries the session's form token in the `csrf` field. */
export const requireCsrfToken: Middleware<ConsoleState> = async (ctx, next) => {
  if (ctx.method !== 'GET' && ctx.method !== 'HEAD' && !sameToken(formField(ctx, 'csrf'), ctx.state.csrf))
    throw forbidden('the form token is missing or belongs to another session; reload the page and try again');
  await next();
};
