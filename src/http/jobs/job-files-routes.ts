import Router from '@koa/router';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/database-schema.js';
import { openStagedFile, stagedFilesOf } from '../../pipeline/staging/open-staged-file.js';
import type { AuthState } from '../auth.js';
import { findVisibleJob } from './jobs-routes.js';

/** GET /jobs/:id/files and /jobs/:id/files/:name: the staged originals, listed and downloaded. */
export function jobFilesRoutes(db: Kysely<Database>, dataRoot: string): Router<AuthState> {
  const router = new Router<AuthState>();

  router.get('/jobs/:id/files', async (ctx) => {
    const job = await findVisibleJob(db, ctx.state, ctx.params.id);
    ctx.body = { files: stagedFilesOf(job) };
  });

  router.get('/jobs/:id/files/:name', async (ctx) => {
    const job = await findVisibleJob(db, ctx.state, ctx.params.id);
    const { file, size, stream } = await openStagedFile({ dataRoot, job, name: ctx.params.name ?? '' });
    // Always a download, never rendered: an original mail or HTML part must not run in the browser.
    ctx.set('Content-Type', 'application/octet-stream');
    ctx.set('Content-Disposition', contentDisposition(file.originalName ?? file.name));
    ctx.set('Content-Length', String(size));
    ctx.set('X-Content-SHA256', file.sha256);
    ctx.body = stream;
  });

  return router;
}

/**
 * RFC 6266: an ASCII fallback (anything unusual becomes `_`) plus the exact UTF-8 name in
 * `filename*`, so a hostile original name cannot break out of the header.
 */
export function contentDisposition(name: string): string {
  const fallback = name.replace(/[^A-Za-z0-9._ -]/g, '_').slice(0, 200) || 'file';
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encodeRFC5987(name.slice(0, 255))}`;
}

function encodeRFC5987(value: string): string {
  return encodeURIComponent(value).replace(/['()*]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`);
}
