import { setTimeout as sleep } from 'node:timers/promises';
import { jobCounts, seconds, uniform, waitForAck, type ChaosRun } from './chaos-run.js';
import type { KillMode } from './chaos-service.js';
import { markRecovered, newFault } from './faults.js';

/** Every fifth kill hits the service while it starts (migrations, spool replay, staging recovery). */
const STARTUP_KILL_EVERY = 5;
const STARTUP_KILL_WINDOW_MS: readonly [number, number] = [300, 2500];
/** Time for orphans of a single-process kill to notice their parent is gone before they are counted. */
const ORPHAN_GRACE_MS = 500;
const LAST_ACK_BOUND_MS = 120_000;

/**
 * kill -9 at random moments while mails and uploads flow: alternately the service process alone
 * and its whole process group, every fifth one during start-up. Each kill is followed at once
 * by a restart on the same data root, database and ports.
 */
export async function killPhase(run: ChaosRun): Promise<void> {
  const { options, ledger, service } = run;
  ledger.phase = 'kills';
  /** Whether the start the next kill interrupts got as far as listening. */
  let listened = true;
  for (let index = 0; index < options.kills; index += 1) {
    const duringStartup = index % STARTUP_KILL_EVERY === STARTUP_KILL_EVERY - 1;
    const mode: KillMode = index % 2 === 0 ? 'process' : 'group';
    if (duringStartup) await sleep(uniform(run.random, ...STARTUP_KILL_WINDOW_MS));
    else await sleep(uniform(run.random, ...options.uptimeSeconds) * 1000);

    // What the kill interrupts (best effort: the count query must not delay the kill much).
    const counts = duringStartup ? null : await Promise.race([jobCounts(run), sleep(1000).then(() => null)]);
    const inData = run.mailLoad.inData;
    const uploads = run.uploadLoad.inFlight;
    const fault = newFault(
      ledger,
      'kill',
      `kill -9 ${mode === 'group' ? 'process group' : 'process'} #${index + 1}${duringStartup ? ' (during start-up)' : ''}`,
    );
    await service.kill(mode);
    run.faults.push(fault);
    fault.notes.push(`${inData} SMTP DATA and ${uploads} uploads in flight${counts === null ? '' : `, ${counts['running'] ?? 0} jobs running`}`);
    if (duringStartup) fault.notes.push(listened ? 'it had just started listening' : 'before it listened');
    await sleep(ORPHAN_GRACE_MS);
    const leftovers = service.groupLeftovers();
    if (leftovers.length > 0) {
      fault.notes.push(`${leftovers.length} orphaned child process(es) still alive ${ORPHAN_GRACE_MS} ms after the kill; reaped`);
      await service.reapGroup();
    }

    const nextDuringStartup = index + 1 < options.kills && (index + 1) % STARTUP_KILL_EVERY === STARTUP_KILL_EVERY - 1;
    if (nextDuringStartup) {
      // The next kill comes before this start completes: no recovery point for this one.
      listened = false;
      void service.spawnOnly().then(() => {
        listened = service.running;
      });
      fault.notes.push('killed again during the next start-up');
    } else {
      await service.start();
      listened = true;
      markRecovered(ledger, fault);
      run.drains.watch(fault);
    }
    run.log(
      `  ${fault.label} at ${seconds(fault.at)} s: ${fault.notes.join('; ')}${fault.recoveredAt === null ? '' : `; listening again after ${seconds(fault.recoveredAt - fault.at)} s`}`,
    );
  }
  // The last restart gets its uptime too, so its first 250 and 202 are not the next phase's.
  const last = run.faults.at(-1);
  if (last !== undefined && last.recoveredAt !== null) {
    await Promise.all([waitForAck(run, 'mail', last.recoveredAt, LAST_ACK_BOUND_MS), waitForAck(run, 'upload', last.recoveredAt, LAST_ACK_BOUND_MS)]);
  }
  await sleep(options.uptimeSeconds[0] * 1000);
}
