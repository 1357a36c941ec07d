import { setTimeout as sleep } from 'node:timers/promises';
import { jobCounts, seconds, type ChaosRun } from './chaos-run.js';
import { markRecovered, newFault } from './faults.js';

const RETRY_FLUSH_BOUND_MS = 180_000;
const TOP_UP_POLL_MS = 500;
const SETTLE_POLL_MS = 1000;
const STUCK_JOBS_LISTED = 5;
const ACTIVE_STATUSES = ['staging', 'queued', 'running'] as const;

export interface SettleResult {
  /**
   * Before the final restart, with no fault for a while: how long until no job was staging,
   * queued or running (null: not within selfHealSeconds), and what was still active then.
   * A backlog that only a restart clears shows here.
   */
  readonly selfHealMs: number | null;
  readonly beforeRestart: Record<string, number> | null;
  /** A few of the jobs still active then (id, status, source, attempts, last event), to start the diagnosis. */
  readonly stuckBeforeRestart: string[];
  /** From the final restart until no job was staging/queued/running, ms; null if the bound passed. */
  readonly settleMs: number | null;
  readonly counts: Record<string, number> | null;
}

/** Without faults, sends until the minimum numbers of mails and uploads are acknowledged (bounded). */
export async function topUp(run: ChaosRun): Promise<void> {
  const { ledger, options } = run;
  ledger.phase = 'top-up';
  const boundMs = Math.max(60_000, (2 * options.minMails * 1000) / options.mailRate);
  const started = ledger.now();
  while (ledger.acked('mail') < options.minMails || ledger.acked('upload') < options.minUploads) {
    if (ledger.now() - started > boundMs) {
      run.log(`  top-up gave up after ${seconds(boundMs)} s: ${ledger.acked('mail')} mails, ${ledger.acked('upload')} uploads acknowledged`);
      return;
    }
    await sleep(TOP_UP_POLL_MS);
  }
}

/**
 * Ends the run: no new mails or uploads, retries until everything owed one is acknowledged
 * (bounded), the loads stop, the service is restarted once more (graceful stop, new process),
 * and the run waits until no job is staging, queued or running (bounded by settleSeconds).
 */
export async function finalPhase(run: ChaosRun): Promise<SettleResult> {
  const { ledger, service, options } = run;
  ledger.phase = 'final-retries';
  run.mailLoad.finishing();
  run.uploadLoad.finishing();
  const flushStarted = ledger.now();
  while ((ledger.pending('mail') > 0 || ledger.pending('upload') > 0) && ledger.now() - flushStarted < RETRY_FLUSH_BOUND_MS) await sleep(TOP_UP_POLL_MS);
  await Promise.all([run.mailLoad.stop(), run.uploadLoad.stop()]);
  run.log(`  retries flushed in ${seconds(ledger.now() - flushStarted)} s; still owed: ${ledger.pending('mail')} mails, ${ledger.pending('upload')} uploads`);

  ledger.phase = 'self-heal';
  const selfHeal = await waitUntilSettled(run, options.selfHealSeconds * 1000);
  const stuckBeforeRestart = selfHeal.settledMs === null ? await describeStuckJobs(run) : [];
  run.log(
    `  without a restart: ${selfHeal.settledMs === null ? `still active after ${options.selfHealSeconds} s: ${describeActive(selfHeal.counts)}` : `every job final after ${seconds(selfHeal.settledMs)} s`}`,
  );

  ledger.phase = 'final-restart';
  const fault = newFault(ledger, 'restart', 'final restart (SIGTERM, start)');
  run.faults.push(fault);
  await service.stop();
  fault.notes.push(`graceful stop took ${seconds(ledger.now() - fault.at)} s`);
  await service.start();
  markRecovered(ledger, fault);
  run.drains.watch(fault);

  const settled = await waitUntilSettled(run, options.settleSeconds * 1000);
  return { selfHealMs: selfHeal.settledMs, beforeRestart: selfHeal.counts, stuckBeforeRestart, settleMs: settled.settledMs, counts: settled.counts };
}

/** Polls until no job is staging, queued or running, at most `boundMs`. */
async function waitUntilSettled(run: ChaosRun, boundMs: number): Promise<{ settledMs: number | null; counts: Record<string, number> | null }> {
  const started = run.ledger.now();
  for (;;) {
    const counts = await jobCounts(run);
    if (counts !== null && ACTIVE_STATUSES.every((status) => (counts[status] ?? 0) === 0)) return { settledMs: run.ledger.now() - started, counts };
    if (run.ledger.now() - started >= boundMs) return { settledMs: null, counts };
    await sleep(SETTLE_POLL_MS);
  }
}

async function describeStuckJobs(run: ChaosRun): Promise<string[]> {
  try {
    const rows = await run.database.query<{ id: string; status: string; source: string; attempts: number; age: number; event: string | null }>(
      `SELECT j.id, j.status, j.source, j.attempts, extract(epoch FROM now() - j.updated_at)::float8 AS age,
              (SELECT kind || ': ' || message FROM job_events WHERE job_id = j.id ORDER BY at DESC, id DESC LIMIT 1) AS event
         FROM jobs j WHERE j.status IN ('staging', 'queued', 'running') ORDER BY j.created_at LIMIT ${STUCK_JOBS_LISTED}`,
    );
    return rows.map(
      (row) =>
        `${row.id} ${row.status} (${row.source}, ${row.attempts} attempts, unchanged for ${row.age.toFixed(0)} s${row.event === null ? '' : `, last event "${row.event}"`})`,
    );
  } catch (error) {
    return [`could not list them: ${String(error)}`];
  }
}

export function describeActive(counts: Record<string, number> | null): string {
  if (counts === null) return 'database unreachable';
  return ACTIVE_STATUSES.map((status) => `${status} ${counts[status] ?? 0}`).join(', ');
}
