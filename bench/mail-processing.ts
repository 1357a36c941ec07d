// 2. Mail processing: N generated HYDRAstor alert mails over SMTP (20 sessions).
//   a) acceptance rate, worker off (only SMTP + durable staging);
//   b) processing rate: the same backlog drained by a restarted service with the worker on
//      (default concurrency 2, then 8);
//   c) both at once: a fresh service with the worker on, time until every job has succeeded.
// Target (issue #16, 3): the backlog drain of 10,000 alert mails ≥ 1.0× the acceptance rate of the same mails.
//
//   npx tsx bench/mail-processing.ts [--full] [--database-url URL] [--profile DIR]
import { setTimeout as sleep } from 'node:timers/promises';
import { generateMails } from './generate-mails.js';
import { isMain, runStandalone, type BenchContext } from './support/bench-context.js';
import { currentLoad, type BenchRow } from './support/bench-result.js';
import { BENCH_RECIPIENT, startBenchService, type BenchService } from './support/bench-service.js';
import { sendMails } from './support/smtp-sender.js';

const SESSIONS = 20;
const SEED = 1;
const POLL_MS = 250;
const DRAIN_TIMEOUT_MS = 60 * 60 * 1000;
const DEFAULT_WORKER_CONCURRENCY = 2;
/** The default, then more: does processing scale with concurrency on two cores? */
const WORKER_CONCURRENCIES = [DEFAULT_WORKER_CONCURRENCY, 8] as const;
const FINAL_STATUSES = ['succeeded', 'failed', 'timed_out', 'cancelled'] as const;

async function sendAlerts(bench: BenchService, count: number): Promise<{ seconds: number; rate: number }> {
  const result = await sendMails({
    host: '127.0.0.1',
    port: bench.service.smtpPort,
    sessions: SESSIONS,
    from: 'hydrastor@bench.example',
    to: BENCH_RECIPIENT,
    mails: generateMails({ kind: 'alert', count, seed: SEED, to: BENCH_RECIPIENT }),
  });
  if (result.accepted !== count) throw new Error(`only ${result.accepted} of ${count} alert mails were accepted: ${JSON.stringify(result.refused)}`);
  return { seconds: result.seconds, rate: count / result.seconds };
}

/** Polls until `count` jobs are final; returns when that happened (performance.now()) and the counts. */
async function waitForFinal(bench: BenchService, count: number): Promise<{ at: number; counts: Record<string, number> }> {
  const deadline = performance.now() + DRAIN_TIMEOUT_MS;
  for (;;) {
    const counts = await bench.jobCounts();
    const final = FINAL_STATUSES.reduce((sum, status) => sum + (counts[status] ?? 0), 0);
    if (final >= count) return { at: performance.now(), counts };
    if (performance.now() > deadline) throw new Error(`jobs not final after ${DRAIN_TIMEOUT_MS} ms: ${JSON.stringify(counts)}`);
    await sleep(POLL_MS);
  }
}

function describe(counts: Record<string, number>): string {
  return Object.entries(counts)
    .map(([status, n]) => `${status} ${n}`)
    .join(', ');
}

export async function mailProcessingBenchmark(context: BenchContext): Promise<BenchRow[]> {
  const count = context.full ? 10_000 : 1_000;
  const rows: BenchRow[] = [];

  // a) + b): acceptance alone, then the backlog drained alone (default worker concurrency, then more).
  for (const concurrency of WORKER_CONCURRENCIES) {
    const backlog = await startBenchService(context, { name: `mail-accept-${concurrency}`, worker: false, config: { worker: { concurrency } } });
    try {
      const accepted = await sendAlerts(backlog, count);
      const acceptLoad = currentLoad();
      context.log(
        `mail-processing: ${count} alerts accepted in ${accepted.seconds.toFixed(2)} s (${accepted.rate.toFixed(0)} msg/s), load ${acceptLoad}: ${describe(await backlog.jobCounts())}`,
      );
      const acceptPeak = await backlog.restart({ worker: true });
      const drainStart = performance.now();
      const drained = await waitForFinal(backlog, count);
      const drainSeconds = (drained.at - drainStart) / 1000;
      const drainRate = count / drainSeconds;
      context.log(
        `mail-processing: backlog of ${count} drained by ${concurrency} workers in ${drainSeconds.toFixed(2)} s (${drainRate.toFixed(0)} jobs/s), load ${currentLoad()}: ${describe(drained.counts)}`,
      );
      rows.push({
        name: `2a. Backlog drain of ${count.toLocaleString('en')} alert mails (worker concurrency ${concurrency}${concurrency === DEFAULT_WORKER_CONCURRENCY ? ', the default' : ''}) vs their SMTP acceptance`,
        reference: `SMTP acceptance of the same ${count.toLocaleString('en')} alert mails, worker off (${accepted.rate.toFixed(0)} msg/s, ${accepted.seconds.toFixed(1)} s)`,
        referenceValue: accepted.rate,
        oursValue: drainRate,
        unit: 'msg/s vs jobs/s',
        ratio: drainRate / accepted.rate,
        target: '≥ 1.0× the acceptance rate of the same mails (#16 target 3)',
        met: drainRate >= accepted.rate && (drained.counts['succeeded'] ?? 0) === count,
        peakRssMiB: Math.max(acceptPeak ?? 0, backlog.service.peakRssMiB() ?? 0),
        load: Math.max(acceptLoad, currentLoad()),
        notes: `drain ${drainSeconds.toFixed(1)} s; ${describe(drained.counts)}; peak RSS accept ${acceptPeak ?? '?'} MiB / drain ${backlog.service.peakRssMiB() ?? '?'} MiB`,
      });
    } finally {
      await backlog.close();
    }
  }

  // c) the real thing: mails arrive while the worker runs.
  const live = await startBenchService(context, { name: 'mail-live', worker: true });
  try {
    const started = performance.now();
    const accepted = await sendAlerts(live, count);
    const done = await waitForFinal(live, count);
    const totalSeconds = (done.at - started) / 1000;
    const tailSeconds = totalSeconds - accepted.seconds;
    context.log(
      `mail-processing live: accepted in ${accepted.seconds.toFixed(2)} s (${accepted.rate.toFixed(0)} msg/s), all final after ${totalSeconds.toFixed(2)} s: ${describe(done.counts)}`,
    );
    rows.push({
      name: '2b. Mail processing live: accept + process together',
      reference: `time to accept all ${count.toLocaleString('en')} (worker on): ${accepted.seconds.toFixed(1)} s`,
      referenceValue: accepted.seconds,
      oursValue: totalSeconds,
      unit: 's',
      ratio: accepted.seconds / totalSeconds,
      target: 'every job succeeded soon after the last 250',
      met: (done.counts['succeeded'] ?? 0) === count && tailSeconds <= Math.max(5, 0.1 * accepted.seconds),
      peakRssMiB: live.service.peakRssMiB(),
      load: currentLoad(),
      notes: `acceptance ${accepted.rate.toFixed(0)} msg/s, end to end ${(count / totalSeconds).toFixed(0)} jobs/s; last job final ${tailSeconds.toFixed(1)} s after the last 250; ${describe(done.counts)}`,
    });
  } finally {
    await live.close();
  }
  return rows;
}

if (isMain(import.meta.url)) await runStandalone(mailProcessingBenchmark);
