// 1. SMTP durable acceptance: smtp-source against the real service (durable staging + job row,
// worker off so only acceptance is measured) and against Postfix's smtp-sink on the same box,
// alternating A/B, median of the repetitions. Also the one-connection-per-message mode (no -d).
//
//   npx tsx bench/smtp-accept.ts [--full] [--database-url URL] [--profile DIR]
import { BENCH_RECIPIENT, startBenchService } from './support/bench-service.js';
import { currentLoad, median, type BenchRow } from './support/bench-result.js';
import { isMain, runStandalone, type BenchContext } from './support/bench-context.js';
import { runSmtpSource, startSmtpSink, type SmtpSourceArgs } from './support/postfix-tools.js';

const SESSIONS = 20;
const MESSAGE_BYTES = 5120;
const SENDER = 'a@example.com';
/** The issue's target: durable acceptance at least half of smtp-sink's protocol-only rate. */
const TARGET_RATIO = 0.5;

interface Mode {
  readonly name: string;
  readonly reuseConnections: boolean;
  readonly messages: number;
  readonly target: boolean;
}

function modes(full: boolean): Mode[] {
  return [
    { name: '1. SMTP durable accept, `-d` (20 sessions, 5 KiB)', reuseConnections: true, messages: full ? 20_000 : 2_000, target: true },
    // One connection per message mostly measures smtp-server's fixed 100 ms greeting delay.
    { name: '1b. SMTP accept, 1 msg/connection (no `-d`)', reuseConnections: false, messages: full ? 5_000 : 400, target: false },
  ];
}

export async function smtpAcceptBenchmark(context: BenchContext): Promise<BenchRow[]> {
  const reps = context.full ? 3 : 1;
  const rows: BenchRow[] = [];
  const sink = await startSmtpSink();
  const bench = await startBenchService(context, { name: 'smtp-accept', worker: false });
  let expectedJobs = 0;
  try {
    for (const mode of modes(context.full)) {
      const sourceArgs = (port: number): SmtpSourceArgs => ({
        port,
        sessions: SESSIONS,
        messageBytes: MESSAGE_BYTES,
        messages: mode.messages,
        reuseConnections: mode.reuseConnections,
        from: SENDER,
        to: BENCH_RECIPIENT,
      });
      const sinkRates: number[] = [];
      const ourRates: number[] = [];
      const loads: number[] = [];
      let command = '';
      for (let rep = 1; rep <= reps; rep += 1) {
        const reference = await runSmtpSource(sourceArgs(sink.port));
        sinkRates.push(reference.messagesPerSecond);
        loads.push(currentLoad());
        const ours = await runSmtpSource(sourceArgs(bench.service.smtpPort));
        ourRates.push(ours.messagesPerSecond);
        loads.push(currentLoad());
        command = ours.command;
        expectedJobs += mode.messages;
        context.log(
          `${mode.name} rep ${rep}: smtp-sink ${reference.messagesPerSecond.toFixed(0)} msg/s (${reference.seconds.toFixed(2)} s), ours ${ours.messagesPerSecond.toFixed(0)} msg/s (${ours.seconds.toFixed(2)} s), load ${currentLoad()}${ours.stderr === '' ? '' : `; smtp-source said: ${ours.stderr.slice(0, 300)}`}`,
        );
      }
      // The ledger: every 250 must be a committed job, nothing lost, nothing doubled.
      const counts = await bench.jobCounts();
      const committed = Object.values(counts).reduce((sum, n) => sum + n, 0);
      const referenceValue = median(sinkRates);
      const oursValue = median(ourRates);
      const ratio = oursValue / referenceValue;
      rows.push({
        name: mode.name,
        reference: `smtp-sink (${command.replace(/127\.0\.0\.1:\d+$/, '<port>')})`,
        referenceValue,
        oursValue,
        unit: 'msg/s',
        ratio,
        target: mode.target ? `≥ ${TARGET_RATIO}× smtp-sink` : 'report only',
        met: mode.target ? ratio >= TARGET_RATIO : null,
        peakRssMiB: bench.service.peakRssMiB(),
        load: Math.max(...loads),
        notes: `median of ${reps}; ledger: ${committed}/${expectedJobs} jobs (${Object.entries(counts)
          .map(([status, n]) => `${status} ${n}`)
          .join(', ')})`,
      });
    }
  } finally {
    await sink.stop();
    const peak = await bench.close();
    context.log(`smtp-accept: service peak RSS ${peak ?? '?'} MiB`);
  }
  return rows;
}

if (isMain(import.meta.url)) await runStandalone(smtpAcceptBenchmark);
