import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import type { Middleware } from 'koa';
import type { Logger } from '../../logging/logging.js';
import type { Metrics } from '../../metrics/metrics.js';
import type { AppDeps } from '../app-deps.js';
import { errorResponse } from '../http-error.js';
import { consoleAssetsRoutes } from './console-assets.js';
import { requireCsrfToken, requireSameOrigin } from './console-csrf.js';
import { consolePage } from './console-layout.js';
import { pageSession, redirectTo } from './console-request.js';
import { endSession, requireSession, type ConsoleState } from './console-session.js';
import { html } from './html.js';
import { registerJobActionsPage } from './job-actions-page.js';
import { registerJobDetailPage } from './job-detail-page.js';
import { registerJobsListPage } from './jobs-list-page.js';
import { loadOverview } from './overview-data.js';
import { overviewBody, overviewPanels } from './overview-view.js';
import { registerRefusedPage } from './refused-page.js';
import { registerAlertsPage } from './alerts-page.js';
import { registerHoldsPage } from './holds-page.js';
import { FORM_LIMIT, signInRoutes } from './sign-in-page.js';
import { registerSourcesPage } from './sources-page.js';
import { registerUnclassifiedPage } from './unclassified-page.js';

/** Without JavaScript the overview reloads itself this often. */
const RELOAD_SECONDS = 60;

/**
 * Only this origin's stylesheet and script; no inline code (the charts are SVG with presentation
 * attributes), no framing, forms post only here.
 */
const CONSOLE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/**
 * The operator console at /console (issue #14): server-rendered pages over the same repositories
 * as the API, signed in with an API key into a session. Outside the /api/1.0 key-auth router:
 * the console authenticates with its session cookie, and its forms are checked against CSRF.
 */
export function consoleRouters(deps: AppDeps, metrics: Metrics): Router<ConsoleState>[] {
  const pages = new Router<ConsoleState>();
  pages.use(requireSession(deps.db), bodyParser({ enableTypes: ['form'], formLimit: FORM_LIMIT }), requireSameOrigin, requireCsrfToken);

  pages.get('/console', async (ctx) => {
    const data = await loadOverview(deps, metrics, ctx.state.caller);
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = consolePage({ title: 'Overview', active: 'overview', session: pageSession(ctx.state), body: overviewBody(data), reloadSeconds: RELOAD_SECONDS });
  });
  // The panels alone, for console.js to refresh the overview in place.
  pages.get('/console/overview/panels', async (ctx) => {
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = overviewPanels(await loadOverview(deps, metrics, ctx.state.caller)).text;
  });
  pages.post('/console/sign-out', async (ctx) => {
    await endSession(ctx, deps.db, ctx.state.sessionHash);
    redirectTo(ctx, '/console/sign-in');
  });

  registerJobsListPage(pages, { db: deps.db, ...(deps.moduleKeys === undefined ? {} : { moduleKeys: deps.moduleKeys }) });
  registerJobDetailPage(pages, { db: deps.db, dataRoot: deps.config.dataRoot });
  registerJobActionsPage(pages, deps);
  registerSourcesPage(pages, { db: deps.db, intervals: deps.config.sources.expectedIntervalHours });
  registerUnclassifiedPage(pages, deps);
  registerRefusedPage(pages, { db: deps.db });
  registerAlertsPage(pages, { db: deps.db });
  registerHoldsPage(pages, { db: deps.db });
  return [consoleAssetsRoutes() as Router<ConsoleState>, signInRoutes(deps.db) as Router<ConsoleState>, pages];
}

/**
 * For every /console path: the security headers, and errors as HTML pages (the rest of the app
 * answers JSON). Messages reach the page only when the error is exposable, as in the API.
 */
export function consoleErrorPages(logger: Logger): Middleware<Partial<ConsoleState>> {
  return async (ctx, next) => {
    if (ctx.path !== '/console' && !ctx.path.startsWith('/console/')) return next();
    ctx.set('Content-Security-Policy', CONSOLE_CSP);
    ctx.set('X-Frame-Options', 'DENY');
    ctx.set('Referrer-Policy', 'same-origin');
    let message: string | undefined;
    try {
      await next();
    } catch (error) {
      const { status, body } = errorResponse(error);
      if (status >= 500) logger.error('console request failed', { method: ctx.method, path: ctx.path, error: String(error), stack: (error as Error).stack });
      ctx.status = status;
      message = `${body.error.message} (${body.error.code})`;
    }
    if (message === undefined && (ctx.status < 400 || (ctx.body !== undefined && ctx.body !== null))) return;
    const status = ctx.status;
    message ??=
      status === 404
        ? 'There is no such page (or it is not visible to this key).'
        : status === 405
          ? 'That is not how this page is used.'
          : 'The request failed.';
    const session = ctx.state.caller !== undefined && ctx.state.csrf !== undefined ? pageSession(ctx.state as ConsoleState) : null;
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = consolePage({
      title: status === 404 ? 'Not found' : status === 403 ? 'Refused' : status === 409 ? 'Not possible now' : 'Something went wrong',
      active: null,
      session,
      body: html`<p class="error-box" role="alert">${message}</p>
        <p><a href="/console">Back to the overview</a></p>`,
    });
    ctx.status = status;
  };
}
