import { ChildProcess } from 'node:child_process';
import net from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';

/**
 * What a test file may not leave running: listening servers, child processes, and the timers a
 * forgotten job worker, sweeper or pool keeps going. Sockets are not counted on their own: a
 * connection closes asynchronously after its server or pool, and a leaked pool or service shows
 * up through its timers or server anyway.
 */
export interface RunningResources {
  readonly servers: readonly string[];
  readonly children: readonly string[];
  readonly timers: number;
  readonly sockets: readonly string[];
}

interface ActiveHandles {
  _getActiveHandles(): unknown[];
}

/**
 * `ignoreChild` leaves out run-level processes (the shared embedded PostgreSQL); `ownTimer` is the
 * timeout timer mocha keeps for the hook that is measuring, not counted either.
 */
export function runningResources(ignoreChild: (child: ChildProcess) => boolean, ownTimer?: NodeJS.Timeout): RunningResources {
  // _getActiveHandles is undocumented but stable since Node 0.x; it returns the owning objects
  // (Server, ChildProcess, Socket), which name what leaked. Timers are not in it: count them apart.
  const handles = (process as unknown as ActiveHandles)._getActiveHandles();
  const servers: string[] = [];
  const children: string[] = [];
  const sockets: string[] = [];
  for (const handle of handles) {
    if (handle instanceof net.Server) {
      const address = handle.address();
      servers.push(
        typeof address === 'string' ? `server on ${address}` : address === null ? 'server (not listening)' : `server on ${address.address}:${address.port}`,
      );
    } else if (handle instanceof ChildProcess) {
      if (!ignoreChild(handle)) children.push(`child process ${handle.pid}: ${handle.spawnargs.join(' ').slice(0, 200)}`);
    } else if (handle instanceof net.Socket && handle.remotePort !== undefined) {
      sockets.push(`socket ${handle.localPort} → ${handle.remoteAddress}:${handle.remotePort}`);
    }
  }
  // getActiveResourcesInfo lists one 'Timeout' per referenced, pending timer; a cleared or fired
  // timer no longer has a ref.
  const timers = process.getActiveResourcesInfo().filter((type) => type === 'Timeout').length - (ownTimer?.hasRef() ? 1 : 0);
  return { servers, children, timers, sockets };
}

/** What `now` has that `before` had not; empty when nothing was left running. */
export function leakedSince(before: RunningResources, now: RunningResources): string[] {
  const added = (was: readonly string[], is: readonly string[]): string[] => {
    const remaining = [...was];
    return is.filter((item) => {
      const at = remaining.indexOf(item);
      if (at === -1) return true;
      remaining.splice(at, 1);
      return false;
    });
  };
  const leaks = [...added(before.servers, now.servers), ...added(before.children, now.children)];
  if (now.timers > before.timers) leaks.push(`${now.timers - before.timers} more timer(s) (a job worker, sweeper, pool or interval still running)`);
  return leaks;
}

/** The timeout timer mocha runs for the current test or hook (Runnable#timer, set once it awaits). */
export function mochaTimer(context: Mocha.Context): NodeJS.Timeout | undefined {
  return (context.runnable() as unknown as { timer?: NodeJS.Timeout }).timer;
}

/**
 * Leaks that are still there after `settleMs`: a handle stays listed for a moment after its close
 * callback or exit event. Returns the last measurement too, as the next baseline.
 */
export async function leaksAfterSettling(
  before: RunningResources,
  measure: () => RunningResources,
  settleMs: number,
): Promise<{ leaks: string[]; now: RunningResources }> {
  const deadline = Date.now() + settleMs;
  let now = measure();
  let leaks = leakedSince(before, now);
  while (leaks.length > 0 && Date.now() < deadline) {
    await delay(20);
    now = measure();
    leaks = leakedSince(before, now);
  }
  return { leaks, now };
}
