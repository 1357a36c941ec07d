import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import type { Kysely } from 'kysely';
import { findActiveApiKey } from '../../db/api-keys-repository.js';
import type { Database } from '../../db/database-schema.js';
import { formField, requireSameOrigin } from './console-csrf.js';
import { consolePage } from './console-layout.js';
import { safeNext, startSession } from './console-session.js';
import { html } from './html.js';
import { redirectTo } from './console-request.js';

const MAX_KEY_LENGTH = 512;
export const FORM_LIMIT = '64kb';

/**
 * GET and POST /console/sign-in: the API key goes in a password field of a POST form, never in a
 * URL, and is only ever compared by its hash (findActiveApiKey). A wrong, revoked or disabled
 * customer's key gets the same answer.
 */
export function signInRoutes(db: Kysely<Database>): Router {
  const router = new Router();

  router.get('/console/sign-in', (ctx) => {
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = signInPage(safeNext(ctx.query.next), null);
  });

  router.post('/console/sign-in', bodyParser({ enableTypes: ['form'], formLimit: FORM_LIMIT }), requireSameOrigin, async (ctx) => {
    const key = formField(ctx, 'key').trim();
    const next = safeNext(formField(ctx, 'next'));
    const caller = key === '' || key.length > MAX_KEY_LENGTH ? undefined : await findActiveApiKey(db, key);
    if (caller === undefined || caller.customerDisabled) {
      ctx.status = 401;
      ctx.type = 'text/html; charset=utf-8';
      ctx.body = signInPage(next, 'That key was not accepted: it is unknown, revoked, or its customer is disabled.');
      return;
    }
    await startSession(ctx, db, caller);
    redirectTo(ctx, next);
  });

  return router;
}

function signInPage(next: string, problem: string | null) {
  return consolePage({
    title: 'Sign in',
    active: null,
    session: null,
    body: html`<form class="signin" method="post" action="/console/sign-in">
      ${problem === null ? '' : html`<p class="error-box" role="alert" id="sign-in-problem">${problem}</p>`}
      <div class="field">
        <label for="key">API key</label>
        <input
          id="key"
          name="key"
          type="password"
          autocomplete="current-password"
          required
          autofocus
          size="40"
          aria-describedby="key-hint${problem === null ? '' : ' sign-in-problem'}"
          ${problem === null ? '' : html` aria-invalid="true"`}
        />
        <span id="key-hint" class="hint">An admin key sees every customer; a customer key sees only its own.</span>
      </div>
      <input type="hidden" name="next" value="${next}" />
      <button type="submit">Sign in</button>
    </form>`,
  });
}
