import Router from '@koa/router';
import { pingDatabase } from '../../db/health-repository.js';
import type { Metrics } from '../../metrics/metrics.js';
import { checkDataRoot, type DataRootCheck } from '../../pipeline/check-data-root.js';
import type { AuthState } from '../auth.js';
import type { AppDeps } from '../app-deps.js';
import { senderSecurityCheck } from './sender-security-check.js';

/** A readiness probe must answer well within a load balancer's timeout even when PostgreSQL hangs. */
const READY_DATABASE_TIMEOUT_MS = 2_000;

/** GET /readyz and GET /metrics (no key: probes and Prometheus scrape them). */
export function opsRoutes(deps: AppDeps, metrics: Metrics): Router<AuthState> {
  const router = new Router<AuthState>();
  const senders = senderSecurityCheck({ db: deps.db, smtp: deps.config.smtp, timeoutMs: READY_DATABASE_TIMEOUT_MS });

  router.get('/readyz', async (ctx) => {
    const [database, dataRoot, sendersCheck] = await Promise.all([
      pingDatabase(deps.db, READY_DATABASE_TIMEOUT_MS).then(
        () => ({ ok: true }),
        (error: unknown) => ({ ok: false, reason: `database unreachable: ${(error as Error).message}` }),
      ),
      checkDataRoot({ dataRoot: deps.config.dataRoot }).then(warnOfLowSpace(deps.config.disk.warnFreeBytes), (error: unknown) => ({
        ok: false,
        reason: `data root check failed: ${(error as Error).message}`,
      })),
      // Never makes the service unready: mail flows either way; the warning is for the operator.
      senders(),
    ]);
    const listenerList = deps.listeners?.() ?? [];
    const down = listenerList.filter((listener) => !listener.up).map((listener) => listener.name);
    const listeners =
      down.length === 0 ? { ok: true, listeners: listenerList } : { ok: false, reason: `not listening: ${down.join(', ')}`, listeners: listenerList };
    const checks = { database, dataRoot, listeners, senders: sendersCheck };
    const reasons = Object.values(checks).flatMap((check) => ('reason' in check && check.reason !== undefined && !check.ok ? [check.reason] : []));
    if (reasons.length === 0) {
      ctx.body = { status: 'ready', checks };
      return;
    }
    ctx.status = 503;
    ctx.body = { status: 'not_ready', checks, error: { code: 'NOT_READY', message: reasons.join('; ') } };
  });

  router.get('/metrics', async (ctx) => {
    const { contentType, body } = await metrics.render();
    ctx.type = contentType;
    ctx.body = body;
  });

  return router;
}

/**
 * Still ready, but says so while free space is below `disk.warnFreeBytes`: the warning comes
 * before any mail is refused (dataprocessor_disk_pressure says the same to Prometheus).
 */
function warnOfLowSpace(warnFreeBytes: number): (check: DataRootCheck) => DataRootCheck & { warning?: string } {
  return (check) =>
    check.ok && check.freeBytes !== undefined && check.freeBytes < warnFreeBytes
      ? {
          ...check,
          warning: `only ${check.freeBytes} bytes free under the data root (warning below ${warnFreeBytes}); free space or let retention purge before mail is refused`,
        }
      : check;
}
