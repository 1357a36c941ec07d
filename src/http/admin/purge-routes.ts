import Router from '@koa/router';
import type { PurgeReport, PurgeTask } from '../../lifecycle/purge-task.js';
import { requireAdmin, type AuthState } from '../auth.js';
import { conflict } from '../http-error.js';
import { parseInput, queryOf } from '../parse-input.js';
import { purgeRunQuerySchema } from './purge-schemas.js';

/** How many recent runs GET shows. */
const LISTED_RUNS = 20;

/** What the routes need of the purge task (src/lifecycle/purge-task.ts). */
export type PurgeControl = Pick<PurgeTask, 'run' | 'listRuns'>;

/** GET/POST /admin/purge: the retention purge's record, a dry run, or a run now (admin key). */
export function purgeRoutes(purge: PurgeControl): Router<AuthState> {
  const router = new Router<AuthState>();

  router.get('/admin/purge', requireAdmin, async (ctx) => {
    const runs = await purge.listRuns(LISTED_RUNS);
    ctx.body = {
      runs: runs.map((run) => ({ ...run, startedAt: run.startedAt.toISOString(), finishedAt: run.finishedAt?.toISOString() ?? null })),
    };
  });

  router.post('/admin/purge', requireAdmin, async (ctx) => {
    const query = parseInput(purgeRunQuerySchema, queryOf(ctx), 'query');
    if (query.dryRun === 'true') {
      ctx.body = await purge.run({ trigger: 'manual', dryRun: true });
      return;
    }
    // A real run may take minutes: answer once it holds the lock and is recorded, let it finish alone.
    let started: (runId: string) => void = () => undefined;
    const runStarted = new Promise<string>((resolve) => {
      started = resolve;
    });
    const finished: Promise<PurgeReport | 'busy'> = purge.run({ trigger: 'manual', dryRun: false, onStarted: started });
    const first = await Promise.race([runStarted, finished]);
    if (first === 'busy') throw conflict('another instance is purging now; see GET /admin/purge');
    // Errors of the run itself are recorded on it; this only keeps a rejection from going unhandled.
    finished.catch(() => undefined);
    ctx.status = 202;
    ctx.body = { runId: typeof first === 'string' ? first : first.runId, status: 'started' };
  });

  return router;
}
