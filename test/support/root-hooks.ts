import path from 'node:path';
import type { Suite } from 'mocha';
import { leaksAfterSettling, mochaTimer, runningResources, type RunningResources } from './leak-check.js';
import { isTestServerProcess, stopTestServer } from './test-database.js';

// How long a closed server, process or timer may take to be gone: handles close asynchronously.
const SETTLE_MS = 2_000;

let baseline: RunningResources;

/** After each top-level describe (so after its own `after` hooks): nothing it started may still run. */
function addLeakCheck(suite: Suite): void {
  const file = suite.file === undefined ? '(no file)' : path.relative(process.cwd(), suite.file);
  const label = `${file} › ${suite.title}`;
  suite.afterAll(`nothing left running (leak check: ${label})`, async function () {
    this.timeout(SETTLE_MS + 5_000);
    const measure = (): RunningResources => runningResources(isTestServerProcess, mochaTimer(this));
    const started = Date.now();
    const { leaks, now } = await leaksAfterSettling(baseline, measure, SETTLE_MS);
    if (process.env.DP_LEAK_CHECK_DEBUG)
      console.error(
        `[leak-check] ${label}: checked in ${Date.now() - started} ms; servers ${now.servers.length}, children ${now.children.length}, timers ${now.timers}, sockets ${now.sockets.length}`,
      );
    // The next suite is measured against what is running now, so one leak is reported once, by its file.
    baseline = now;
    if (leaks.length > 0) throw new Error(`${file} left running after its tests:\n  ${leaks.join('\n  ')}`);
  });
}

/** Mocha root hooks (loaded through .mocharc.json `require`). */
export const mochaHooks = {
  beforeAll(this: Mocha.Context): void {
    baseline = runningResources(isTestServerProcess, mochaTimer(this));
    const root = this.test?.parent;
    for (const suite of root?.suites ?? []) addLeakCheck(suite);
  },
  async afterAll(): Promise<void> {
    await stopTestServer();
  },
};
