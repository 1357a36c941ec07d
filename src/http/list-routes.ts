import type Koa from 'koa';

export interface RouteEntry {
  readonly method: string;
  /** The router's path (`/api/1.0/jobs/:id`). */
  readonly path: string;
}

interface RouterLike {
  readonly stack: ReadonlyArray<{ readonly methods: readonly string[]; readonly path: string | RegExp }>;
}

/**
 * Every method + path the app's routers answer (HEAD, added by the router for each GET, is left
 * out). Read from the routers themselves, so the OpenAPI comparison sees exactly what is served.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any app's state and context
export function listRoutes(app: Koa<any, any>): RouteEntry[] {
  const routes: RouteEntry[] = [];
  for (const middleware of app.middleware) {
    const router = (middleware as { router?: RouterLike }).router;
    if (router === undefined) continue;
    for (const layer of router.stack) {
      if (typeof layer.path !== 'string') continue;
      for (const method of layer.methods) if (method !== 'HEAD') routes.push({ method, path: layer.path });
    }
  }
  return routes;
}

/** `/jobs/:id/files/:name` → `/jobs/{id}/files/{name}` (OpenAPI's template syntax). */
export function toOpenApiPath(path: string): string {
  return path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}
