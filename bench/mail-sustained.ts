// 2c. Sustained mail load (issue #16, target 2): alert mails over SMTP at a fixed rate with the
// worker on, for 60 s (short: 20 s). The rate is half of the acceptance measured just before on
// the same service (a burst, as fast as 20 sessions go). Reported: jobs finished per second
// against mails accepted per second in the window (≥ 0.9×: no growing backlog), and the p95 from
// each 250 to its job's `finished_at` (< 2 s). Jobs are matched by the id in the 250 reply.
//
//   npx tsx bench/mail-sustained.ts [--full] [--database-url URL] [--compiled]
import { setTimeout as sleep } from 'node:timers/promises';
import { generateMails } from './generate-mails.js';
import { isMain, runStandalone, type BenchContext } from './support/bench-context.js';
import { currentLoad, quantile, type BenchRow } from './support/bench-result.js';
import { BENCH_RECIPIENT, startBenchService, type BenchService } from './support/bench-service.js';
import { withAdmin } from './support/scratch-database.js';
import { sendMails } from './support/smtp-sender.js';

const SESSIONS = 20;
const SEED = 3;
const POLL_MS = 250;
const SETTLE_TIMEOUT_MS = 10 * 60 * 1000;
const FINAL_STATUSES = ['succeeded', 'failed', 'timed_out', 'cancelled', 'unclassified'];
const JOB_ID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;
const TARGET_RATE_RATIO = 0.9;
const TARGET_P95_MS = 2000;

function take<T>(source: Iterator<T>, count: number): Iterator<T> {
  let taken = 0;
  return { next: () => (taken++ < count ? source.next() : { done: true, value: undefined }) };
}

interface JobTimes {
  readonly id: string;
  readonly status: string;
  readonly finishedAt: number | null;
}

function jobTimes(bench: BenchService, ids: readonly string[]): Promise<JobTimes[]> {
  return withAdmin(bench.database.url, async (client) => {
    const { rows } = await client.query<{ id: string; status: string; finished_at: Date | null }>(
      'SELECT id, status, finished_at FROM jobs WHERE id = ANY($1::uuid[])',
      [ids],
    );
    return rows.map((row) => ({ id: row.id, status: row.status, finishedAt: row.finished_at?.getTime() ?? null }));
  });
}

async function waitUntilFinal(bench: BenchService, ids: readonly string[]): Promise<JobTimes[]> {
  const deadline = performance.now() + SETTLE_TIMEOUT_MS;
  for (;;) {
    const times = await jobTimes(bench, ids);
    if (times.length === ids.length && times.every((job) => FINAL_STATUSES.includes(job.status))) return times;
    if (performance.now() > deadline) throw new Error(`jobs not final after ${SETTLE_TIMEOUT_MS} ms`);
    await sleep(POLL_MS);
  }
}

export async function mailSustainedBenchmark(context: BenchContext): Promise<BenchRow[]> {
  const seconds = context.full ? 60 : 20;
  const burstCount = context.full ? 3000 : 1000;
  const bench = await startBenchService(context, { name: 'mail-sustained', worker: true });
  try {
    // One generator for both phases: every mail distinct (no duplicate arrivals).
    const mails = generateMails({ kind: 'alert', count: burstCount + 100_000, seed: SEED, to: BENCH_RECIPIENT });
    const send = { host: '127.0.0.1', port: bench.service.smtpPort, sessions: SESSIONS, from: 'hydrastor@bench.example', to: BENCH_RECIPIENT };

    const burstIds: string[] = [];
    const burst = await sendMails({
      ...send,
      mails: take(mails, burstCount),
      onAccepted: (_n, reply) => {
        const id = JOB_ID.exec(reply)?.[0];
        if (id !== undefined) burstIds.push(id);
      },
    });
    const maxRate = burst.accepted / burst.seconds;
    await waitUntilFinal(bench, burstIds);
    const rate = maxRate / 2;
    context.log(`mail-sustained: burst of ${burstCount} accepted at ${maxRate.toFixed(0)} msg/s (worker on); now ${rate.toFixed(0)} msg/s for ${seconds} s`);

    // Paced: message i may start at start + i / rate, whichever session is free takes it.
    const count = Math.round(rate * seconds);
    const acceptedAt = new Map<string, number>();
    let slot = 0;
    const start = Date.now() + 100;
    const paced = await sendMails({
      ...send,
      mails: take(mails, count),
      beforeMessage: async () => {
        const due = start + (slot++ * 1000) / rate;
        if (due > Date.now()) await sleep(due - Date.now());
      },
      onAccepted: (_n, reply) => {
        const id = JOB_ID.exec(reply)?.[0];
        if (id !== undefined) acceptedAt.set(id, Date.now());
      },
    });
    const windowEnd = Date.now();
    const windowSeconds = (windowEnd - start) / 1000;
    const ids = [...acceptedAt.keys()];
    const atWindowEnd = await jobTimes(bench, ids);
    const finishedInWindow = atWindowEnd.filter((job) => job.finishedAt !== null && job.finishedAt <= windowEnd).length;
    const load = currentLoad();
    const final = await waitUntilFinal(bench, ids);
    const latencies = final.filter((job) => job.finishedAt !== null).map((job) => job.finishedAt! - acceptedAt.get(job.id)!);
    latencies.sort((a, b) => a - b);
    const succeeded = final.filter((job) => job.status === 'succeeded').length;
    const acceptRate = paced.accepted / windowSeconds;
    const finishRate = finishedInWindow / windowSeconds;
    const p95 = quantile(latencies, 0.95);
    const peak = bench.service.peakRssMiB();
    context.log(
      `mail-sustained: ${paced.accepted} accepted in ${windowSeconds.toFixed(1)} s (${acceptRate.toFixed(0)} msg/s), ${finishedInWindow} finished in the window (${finishRate.toFixed(0)} jobs/s); 250 → finished p50 ${quantile(latencies, 0.5)} ms, p95 ${p95} ms, max ${latencies.at(-1)} ms; ${succeeded}/${final.length} succeeded`,
    );
    const common = {
      peakRssMiB: peak,
      load,
      notes: `burst (worker on) ${maxRate.toFixed(0)} msg/s → paced at ${rate.toFixed(0)} msg/s for ${windowSeconds.toFixed(0)} s, ${SESSIONS} sessions, alert mails; ${succeeded}/${final.length} succeeded; 250 → finished p50 ${quantile(latencies, 0.5)} ms, max ${latencies.at(-1)} ms`,
    };
    return [
      {
        name: `2c. Sustained load: jobs finished vs mails accepted per second (${seconds} s, worker on)`,
        reference: `mails accepted per second in the window (${acceptRate.toFixed(0)} msg/s)`,
        referenceValue: acceptRate,
        oursValue: finishRate,
        unit: 'msg/s vs jobs/s',
        ratio: finishRate / acceptRate,
        target: `≥ ${TARGET_RATE_RATIO}× (no growing backlog; #16 target 2)`,
        met: finishRate >= TARGET_RATE_RATIO * acceptRate && succeeded === final.length,
        ...common,
      },
      {
        name: `2c. Sustained load: 250 → job succeeded, p95 (${seconds} s, worker on)`,
        reference: '—',
        referenceValue: null,
        oursValue: p95,
        unit: 'ms (p95)',
        ratio: null,
        target: `p95 < ${TARGET_P95_MS / 1000} s (#16 target 2)`,
        met: p95 < TARGET_P95_MS && succeeded === final.length,
        ...common,
      },
    ];
  } finally {
    await bench.close();
  }
}

if (isMain(import.meta.url)) await runStandalone(mailSustainedBenchmark);
