// 2. Mail processing: N generated HYDRAstor alert mails over SMTP (20 sessions).
//   a) acceptance rate, worker off (only SMTP + durable staging);
//   b) processing rate: the same backlog drained by a restarted service with the worker on
//      (default concurrency 2, then 8);
//   c) both at once: a fresh service with the worker on, time until every job has succeeded;
//   d) sustained load: a fresh service with the worker on, mails paced at half the fastest
//      acceptance of a), and each job's time from its arrival to its final status.
// Targets: the pipeline drains at least as fast as SMTP accepts (b ≥ a); under paced load it
// keeps up (≥ 0.9×) and p95 from the 250 to `succeeded` is under 2 s.
//
//   npx tsx bench/mail-processing.ts [--full] [--database-url URL] [--profile DIR]
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { generateMails } from './generate-mails.js';
import { isMain, runStandalone, type BenchContext } from './support/bench-context.js';
import { currentLoad, type BenchRow } from './support/bench-result.js';
import { BENCH_RECIPIENT, startBenchService, type BenchService } from './support/bench-service.js';
import { withAdmin } from './support/scratch-database.js';
import { sendMails } from './support/smtp-sender.js';

const SESSIONS = 20;
const SEED = 1;
const POLL_MS = 250;
const DRAIN_TIMEOUT_MS = 60 * 60 * 1000;
const DEFAULT_WORKER_CONCURRENCY = 4;
/** The default, then more: does processing scale with concurrency on two cores? */
const WORKER_CONCURRENCIES = [DEFAULT_WORKER_CONCURRENCY, 8] as const;
const FINAL_STATUSES = ['succeeded', 'failed', 'timed_out', 'cancelled'] as const;

/** d) paces mails at this share of the fastest acceptance measured in a). */
const PACED_SHARE = 0.5;
const PACED_P95_TARGET_S = 2;
/** USER_HZ: /proc times are in these ticks (100 on Linux everywhere that matters). */
const CLOCK_TICKS_PER_SECOND = 100;

async function sendAlerts(bench: BenchService, count: number, ratePerSecond?: number): Promise<{ seconds: number; rate: number }> {
  const result = await sendMails({
    ...(ratePerSecond === undefined ? {} : { ratePerSecond }),
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

interface Percentiles {
  readonly p50: number;
  readonly p95: number;
  readonly max: number;
}

/**
 * Seconds from each job's arrival (`received_at`, taken before the 250) to its end: an upper
 * bound of 250 → final; and its parts: arrival → queued (the spool writes the folder just after
 * the 250), queued → claimed, claimed → final.
 */
async function latencies(bench: BenchService): Promise<Record<'total' | 'toQueued' | 'queuedToClaimed' | 'run', Percentiles>> {
  return withAdmin(bench.database.url, async (client) => {
    const spans = {
      total: 'finished_at - received_at',
      toQueued: 'queued_at - received_at',
      queuedToClaimed: 'started_at - queued_at',
      run: 'finished_at - started_at',
    } as const;
    const result: Partial<Record<keyof typeof spans, Percentiles>> = {};
    for (const [name, span] of Object.entries(spans) as Array<[keyof typeof spans, string]>) {
      const { rows } = await client.query<Percentiles>(
        `SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY s) AS p50, percentile_cont(0.95) WITHIN GROUP (ORDER BY s) AS p95, max(s) AS max
         FROM (SELECT extract(epoch FROM ${span})::float8 AS s
               FROM (SELECT received_at, started_at, finished_at,
                            (SELECT min(at) FROM job_events e WHERE e.job_id = jobs.id AND e.status = 'queued') AS queued_at
                     FROM jobs WHERE finished_at IS NOT NULL) AS j) AS t`,
      );
      result[name] = { p50: Number(rows[0]?.p50), p95: Number(rows[0]?.p95), max: Number(rows[0]?.max) };
    }
    return result as Record<keyof typeof spans, Percentiles>;
  });
}

function describePercentiles(p: Percentiles): string {
  return `p50 ${p.p50.toFixed(2)} s, p95 ${p.p95.toFixed(2)} s, max ${p.max.toFixed(2)} s`;
}

/** CPU seconds (user + system) a process used so far, from /proc/<pid>/stat; null without /proc. */
function cpuSeconds(pid: number): number | null {
  try {
    // Fields after the command's closing parenthesis: utime and stime are the 12th and 13th.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return null;
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
  let fastestAcceptance = 0;

  // a) + b): acceptance alone, then the backlog drained alone (default worker concurrency, then more).
  for (const concurrency of WORKER_CONCURRENCIES) {
    const backlog = await startBenchService(context, { name: `mail-accept-${concurrency}`, worker: false, config: { worker: { concurrency } } });
    try {
      const accepted = await sendAlerts(backlog, count);
      fastestAcceptance = Math.max(fastestAcceptance, accepted.rate);
      const acceptLoad = currentLoad();
      context.log(
        `mail-processing: ${count} alerts accepted in ${accepted.seconds.toFixed(2)} s (${accepted.rate.toFixed(0)} msg/s), load ${acceptLoad}: ${describe(await backlog.jobCounts())}`,
      );
      const acceptPeak = await backlog.restart({ worker: true });
      const drainStart = performance.now();
      const cpuAtStart = cpuSeconds(backlog.service.pid);
      const drained = await waitForFinal(backlog, count);
      const cpuAtEnd = cpuSeconds(backlog.service.pid);
      // The service's own CPU per job (start-up excluded): steadier than rates on a shared box.
      const cpuMsPerJob = cpuAtStart === null || cpuAtEnd === null ? null : ((cpuAtEnd - cpuAtStart) * 1000) / count;
      const drainSeconds = (drained.at - drainStart) / 1000;
      const drainRate = count / drainSeconds;
      context.log(
        `mail-processing: backlog of ${count} drained by ${concurrency} workers in ${drainSeconds.toFixed(2)} s (${drainRate.toFixed(0)} jobs/s, service CPU ${cpuMsPerJob?.toFixed(2) ?? '?'} ms/job), load ${currentLoad()}: ${describe(drained.counts)}`,
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
        notes: `drain ${drainSeconds.toFixed(1)} s; service CPU ${cpuMsPerJob?.toFixed(2) ?? '?'} ms/job; ${describe(drained.counts)}; peak RSS accept ${acceptPeak ?? '?'} MiB / drain ${backlog.service.peakRssMiB() ?? '?'} MiB`,
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

  // d) sustained load below the acceptance limit: does processing keep up, and how late is each job?
  const rate = fastestAcceptance * PACED_SHARE;
  const paced = await startBenchService(context, { name: 'mail-paced', worker: true });
  try {
    const started = performance.now();
    const accepted = await sendAlerts(paced, count, rate);
    const done = await waitForFinal(paced, count);
    const totalSeconds = (done.at - started) / 1000;
    const finishedRate = count / totalSeconds;
    const spans = await latencies(paced);
    const latency = spans.total;
    const breakdown = `arrival → queued ${describePercentiles(spans.toQueued)}; queued → claimed ${describePercentiles(spans.queuedToClaimed)}; claimed → final ${describePercentiles(spans.run)}`;
    context.log(
      `mail-processing paced at ${rate.toFixed(0)} msg/s: accepted ${accepted.rate.toFixed(0)} msg/s, finished ${finishedRate.toFixed(0)} jobs/s; arrival → final ${describePercentiles(latency)} (${breakdown}): ${describe(done.counts)}`,
    );
    rows.push({
      name: `2c. Mail processing, sustained: mails paced at ${PACED_SHARE}× the fastest acceptance of 2a, worker on`,
      reference: `accepted ${accepted.rate.toFixed(0)} msg/s (paced at ${rate.toFixed(0)})`,
      referenceValue: accepted.rate,
      oursValue: finishedRate,
      unit: 'msg/s vs jobs/s',
      ratio: finishedRate / accepted.rate,
      target: `finished ≥ 0.9× accepted, p95 arrival → final < ${PACED_P95_TARGET_S} s`,
      met: finishedRate >= 0.9 * accepted.rate && latency.p95 < PACED_P95_TARGET_S && (done.counts['succeeded'] ?? 0) === count,
      peakRssMiB: paced.service.peakRssMiB(),
      load: currentLoad(),
      notes: `arrival (received_at, before the 250) → final: ${describePercentiles(latency)} (${breakdown}); ${describe(done.counts)}`,
    });
  } finally {
    await paced.close();
  }
  return rows;
}

if (isMain(import.meta.url)) await runStandalone(mailProcessingBenchmark);
