import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import Router from '@koa/router';
import type { AuthState } from '../auth.js';
import { buildOpenApiDocument, type OpenApiDocument } from './openapi-document.js';

/** The swagger-ui-dist files the page needs, served from node_modules: no CDN, no other file. */
const ASSETS: Readonly<Record<string, string>> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
};
const ASSET_CACHE_SECONDS = 24 * 60 * 60;

/**
 * Swagger UI may load only from this origin; styles inline (React sets style attributes). The
 * validator badge is off (it would call validator.swagger.io).
 */
const DOCS_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; font-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

const DOCS_HTML = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>DataProcessor API</title>
  <link rel="icon" type="image/png" href="/docs/assets/favicon-32x32.png">
  <link rel="stylesheet" href="/docs/assets/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/assets/swagger-ui-bundle.js"></script>
  <script src="/docs/init.js"></script>
</body>
</html>
`;

const INIT_JS = `window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle({ url: '/api/1.0/openapi.json', dom_id: '#swagger-ui', deepLinking: true, validatorUrl: null });
});
`;

/** GET /docs (Swagger UI from local assets) and GET <prefix>/openapi.json; no key needed to read the docs. */
export function docsRoutes(prefix: string): Router<AuthState> {
  const router = new Router<AuthState>();
  let document: OpenApiDocument | undefined;
  const assetDir = path.dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
  const assetCache = new Map<string, Buffer>();

  router.get(`${prefix}/openapi.json`, (ctx) => {
    document ??= buildOpenApiDocument({ prefix, version: '1.0' });
    ctx.body = document;
  });

  router.get('/docs', (ctx) => {
    ctx.set('Content-Security-Policy', DOCS_CSP);
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = DOCS_HTML;
  });

  router.get('/docs/init.js', (ctx) => {
    ctx.type = 'text/javascript; charset=utf-8';
    ctx.body = INIT_JS;
  });

  router.get('/docs/assets/:file', async (ctx, next) => {
    const file = ctx.params.file ?? '';
    const type = Object.hasOwn(ASSETS, file) ? ASSETS[file] : undefined;
    if (type === undefined) return next();
    let content = assetCache.get(file);
    if (content === undefined) {
      content = await readFile(path.join(assetDir, file));
      assetCache.set(file, content);
    }
    ctx.set('Cache-Control', `public, max-age=${ASSET_CACHE_SECONDS}`);
    ctx.type = type;
    ctx.body = content;
  });

  return router;
}
