import type { ApiKeyIdentity } from '../../db/api-keys-repository.js';
import { html, type HtmlValue, type SafeHtml } from './html.js';

export type ConsolePage = 'overview' | 'jobs' | 'sources' | 'unclassified' | 'refused' | 'alerts' | 'holds';

const NAVIGATION: ReadonlyArray<readonly [ConsolePage, string, string]> = [
  ['overview', 'Overview', '/console'],
  ['jobs', 'Jobs', '/console/jobs'],
  ['sources', 'Sources', '/console/sources'],
  ['unclassified', 'Unclassified', '/console/unclassified'],
  ['refused', 'Refused', '/console/refused'],
  ['alerts', 'Alerts', '/console/alerts'],
  ['holds', 'Holds', '/console/holds'],
];

/** Pages only an admin key may open: a customer key does not see them in the navigation. */
const ADMIN_PAGES: ReadonlySet<ConsolePage> = new Set(['holds']);

/** Who is signed in, and the form token the sign-out button needs. */
export interface PageSession {
  readonly caller: ApiKeyIdentity;
  readonly csrf: string;
}

export interface PageArgs {
  readonly title: string;
  readonly active: ConsolePage | null;
  readonly session: PageSession | null;
  readonly body: HtmlValue;
  /** A one-line result of the last action (shown once, announced to screen readers). */
  readonly notice?: string | undefined;
  /** Without JavaScript the overview reloads itself this often; console.js refreshes its panels instead. */
  readonly reloadSeconds?: number;
}

/**
 * The page shell: a skip link, the navigation (aria-current on the page shown), who is signed in
 * with a sign-out button, and the page's main region. Styles and the one script come from
 * /console/assets (no inline code: the Content-Security-Policy allows only this origin). Returns
 * the document as text, ready to be a Koa body.
 */
export function consolePage(args: PageArgs): string {
  const { session } = args;
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${args.title} · DataProcessor console</title>
        <link rel="icon" href="data:," />
        <link rel="stylesheet" href="/console/assets/console.css" />
        <script src="/console/assets/console.js" defer></script>
        ${args.reloadSeconds === undefined ? '' : html`<noscript><meta http-equiv="refresh" content="${args.reloadSeconds}" /></noscript>`}
      </head>
      <body>
        <a class="skip-link" href="#main">Skip to content</a>
        <header class="top">
          <span class="brand">DataProcessor console</span>
          ${session === null ? '' : navigation(args.active, session)} ${session === null ? '' : whoAmI(session)}
        </header>
        <main id="main" tabindex="-1">
          <h1>${args.title}</h1>
          ${args.notice === undefined || args.notice === '' ? '' : html`<p class="notice" role="status">${args.notice}</p>`} ${args.body}
        </main>
      </body>
    </html> `.text;
}

function navigation(active: ConsolePage | null, session: PageSession): SafeHtml {
  const pages = NAVIGATION.filter(([page]) => session.caller.role === 'admin' || !ADMIN_PAGES.has(page));
  return html`<nav aria-label="Console pages">
    <ul>
      ${pages.map(([page, label, href]) => html`<li><a href="${href}" ${page === active ? html` aria-current="page"` : ''}>${label}</a></li>`)}
    </ul>
  </nav>`;
}

function whoAmI(session: PageSession): SafeHtml {
  const { caller } = session;
  const who = caller.role === 'admin' ? 'admin key' : `customer ${caller.customer ?? ''}`;
  return html`<div class="who">
    <span>Signed in: ${who}${caller.label === '' ? '' : html` (<span class="key-label">${caller.label}</span>)`}</span>
    <form method="post" action="/console/sign-out">
      <input type="hidden" name="csrf" value="${session.csrf}" /><button type="submit" class="secondary">Sign out</button>
    </form>
  </div>`;
}

/** A hidden field with the session's form token: part of every console form that changes something. */
export function csrfField(session: PageSession): SafeHtml {
  return html`<input type="hidden" name="csrf" value="${session.csrf}" />`;
}
