import Router from '@koa/router';

/**
 * The console's only stylesheet and script, served by the service (no CDN, no build step): kept as
 * strings so they ship the same from the TypeScript sources and from the compiled build.
 */
const CSS = `
:root { --ink: #1b1f24; --muted: #57606a; --line: #d0d7de; --bg: #f6f8fa; --accent: #0b5cad; --bad: #b3261e; --good: #1a7f37; --warn: #8a5a00; --focus: #ffbf47; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif; color: var(--ink); background: #fff; }
a { color: var(--accent); }
:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; box-shadow: 0 0 0 5px var(--ink); }
.skip-link { position: absolute; left: -999px; top: 0; background: #fff; padding: 8px 12px; z-index: 10; }
.skip-link:focus { left: 8px; }
.top { display: flex; align-items: center; gap: 24px; padding: 8px 24px; background: #24292f; color: #fff; flex-wrap: wrap; }
.top a { color: #fff; }
.brand { font-weight: 700; }
nav ul { display: flex; gap: 4px; list-style: none; margin: 0; padding: 0; flex-wrap: wrap; }
nav a { display: block; padding: 6px 12px; border-radius: 6px; text-decoration: none; }
nav a:hover { background: #3d444d; }
nav a[aria-current="page"] { background: #fff; color: #24292f; font-weight: 600; }
.who { margin-left: auto; display: flex; align-items: center; gap: 12px; }
.who form { margin: 0; }
main { padding: 16px 24px 48px; }
main:focus { outline: none; }
h1 { font-size: 1.5rem; margin: 8px 0 16px; }
h2 { font-size: 1.15rem; margin: 24px 0 8px; }
.notice { background: #dafbe1; border: 1px solid #4ac26b; padding: 8px 12px; border-radius: 6px; }
.error-box { background: #ffebe9; border: 1px solid #ff8182; padding: 8px 12px; border-radius: 6px; }
.hint { color: var(--muted); }
table { border-collapse: collapse; width: 100%; margin: 8px 0; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: var(--bg); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.nowrap { white-space: nowrap; }
.small { font-size: 0.85em; }
td { overflow-wrap: anywhere; }
.mono, code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 0.9em; }
.status { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 0.85em; font-weight: 600; background: #eaeef2; }
.status-succeeded { background: #dafbe1; color: #116329; }
.status-failed, .status-timed_out, .status-silent { background: #ffebe9; color: #a40e26; }
.status-queued, .status-running { background: #ddf4ff; color: #0a3069; }
.status-unclassified, .status-held, .status-cancelled { background: #fff8c5; color: #633c01; }
form.filters { display: flex; flex-wrap: wrap; gap: 12px; align-items: flex-end; background: var(--bg); padding: 12px; border-radius: 6px; }
.field { display: flex; flex-direction: column; gap: 2px; }
.field label { font-weight: 600; font-size: 0.9em; }
input, select, textarea, button { font: inherit; }
input, select, textarea { padding: 5px 8px; border: 1px solid #8c959f; border-radius: 6px; background: #fff; color: var(--ink); }
button, .button { display: inline-block; padding: 6px 14px; border-radius: 6px; border: 1px solid #1f6feb; background: #0b5cad; color: #fff; cursor: pointer; text-decoration: none; }
button.secondary, .button.secondary { background: #fff; color: var(--ink); border-color: #8c959f; }
button.danger, .button.danger { background: var(--bad); border-color: var(--bad); }
.actions { display: flex; gap: 8px; flex-wrap: wrap; margin: 12px 0; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(200px, 1fr)); gap: 12px; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; }
.card .value { font-size: 1.5rem; font-weight: 700; }
.card .label { color: var(--muted); font-size: 0.9em; }
.ok { color: var(--good); font-weight: 600; }
.bad { color: var(--bad); font-weight: 600; }
.chart { width: 100%; height: auto; border: 1px solid var(--line); border-radius: 6px; background: #fff; }
.legend { display: flex; flex-wrap: wrap; gap: 14px; list-style: none; padding: 0; margin: 6px 0; }
.swatch { display: inline-block; width: 12px; height: 12px; border-radius: 2px; margin-right: 4px; vertical-align: -1px; border: 1px solid #0003; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; }
dl.facts dt { font-weight: 600; }
dl.facts dd { margin: 0; }
pre.preview { background: var(--bg); border: 1px solid var(--line); padding: 8px; max-height: 14em; overflow: auto; white-space: pre-wrap; word-break: break-word; }
.pager { display: flex; gap: 12px; margin: 12px 0; }
.signin { max-width: 420px; }
.signin .field { margin-bottom: 12px; }
.refresh-bar { display: flex; gap: 12px; align-items: center; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
`;

/**
 * Progressive enhancement: the overview's panels refresh in place (without JavaScript the page
 * reloads itself through a <noscript> meta refresh). A button pauses it; a refresh never runs
 * while the keyboard focus is inside the panels, so nobody loses their place.
 */
const SCRIPT = `'use strict';
(function () {
  var region = document.querySelector('[data-refresh-url]');
  if (!region) return;
  var seconds = Number(region.getAttribute('data-refresh-seconds')) || 30;
  var toggle = document.getElementById('refresh-toggle');
  var status = document.getElementById('refresh-status');
  var paused = false;
  if (toggle) {
    toggle.hidden = false;
    toggle.addEventListener('click', function () {
      paused = !paused;
      toggle.setAttribute('aria-pressed', String(paused));
      toggle.textContent = paused ? 'Resume auto-refresh' : 'Pause auto-refresh';
    });
  }
  function say(text) { if (status) status.textContent = text; }
  setInterval(function () {
    if (paused || document.hidden || region.contains(document.activeElement)) return;
    fetch(region.getAttribute('data-refresh-url'), { credentials: 'same-origin', redirect: 'manual', headers: { Accept: 'text/html' } })
      .then(function (response) {
        if (response.type === 'opaqueredirect') throw new Error('signed out');
        if (!response.ok) throw new Error('HTTP ' + response.status);
        return response.text();
      })
      .then(function (text) {
        region.innerHTML = text;
        say('Updated ' + new Date().toISOString().slice(11, 19) + ' UTC');
      })
      .catch(function (error) { say(error.message === 'signed out' ? 'Your session ended: reload to sign in' : 'Refresh failed; trying again'); });
  }, seconds * 1000);
})();
`;

const ASSETS: Readonly<Record<string, readonly [string, string]>> = {
  'console.css': ['text/css; charset=utf-8', CSS],
  'console.js': ['text/javascript; charset=utf-8', SCRIPT],
};
const ASSET_CACHE_SECONDS = 60 * 60;

/** GET /console/assets/:file (no session needed: the sign-in page uses them too). */
export function consoleAssetsRoutes(): Router {
  const router = new Router();
  router.get('/console/assets/:file', async (ctx, next) => {
    const file = ctx.params.file ?? '';
    const asset = Object.hasOwn(ASSETS, file) ? ASSETS[file] : undefined;
    if (asset === undefined) return next();
    ctx.set('Cache-Control', `public, max-age=${ASSET_CACHE_SECONDS}`);
    ctx.type = asset[0];
    ctx.body = asset[1];
  });
  return router;
}
