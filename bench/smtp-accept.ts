// 1. SMTP durable acceptance: smtp-source against the real service (durable staging + job row,
// worker off so only acceptance is measured), against Postfix's smtp-sink (protocol only) and
// against a private Postfix with its real durable queue (discard transport), all on the same box,
// alternating sink → Postfix → ours, median of the repetitions. Also one connection per message.
//
//   npx tsx bench/smtp-accept.ts [--full] [--database-url URL] [--profile DIR]   (root: Postfix)
import path from 'node:path';
import { BENCH_INGEST_DOMAIN, BENCH_RECIPIENT, startBenchService } from './support/bench-service.js';
import { currentLoad, median, placeholderRow, type BenchRow } from './support/bench-result.js';
import { isMain, runStandalone, type BenchContext } from './support/bench-context.js';
import { startPostfixInstance, type PostfixInstance } from './support/postfix-instance.js';
import { procStatusMiB } from './support/proc-status.js';
import { runSmtpSource, startSmtpSink, type SmtpSourceArgs } from './support/postfix-tools.js';

const SESSIONS = 20;
const MESSAGE_BYTES = 5120;
const SENDER = 'a@example.com';
/** Issue #16's targets: durable acceptance ≥ 0.25× smtp-sink's protocol-only rate and ≥ 2× Postfix's durable queue. */
const TARGET_SINK_RATIO = 0.25;
const TARGET_POSTFIX_RATIO = 2;

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
  let postfix: PostfixInstance | null = null;
  let postfixProblem = '';
  try {
    postfix = await startPostfixInstance({ dir: path.join(context.workRoot, 'postfix'), recipientDomain: BENCH_INGEST_DOMAIN });
  } catch (error) {
    postfixProblem = (error as Error).message.split('\n')[0] ?? '';
    context.log(`smtp-accept: no Postfix reference: ${postfixProblem}`);
  }
  const bench = await startBenchService(context, { name: 'smtp-accept', worker: false });
  // The memory target (#16: ≤ 256 MiB peak under SMTP load) starts from this.
  const restingMiB = procStatusMiB(bench.service.pid, 'VmRSS');
  context.log(`smtp-accept: service RSS at rest after start-up: ${restingMiB ?? '?'} MiB`);
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
      const postfixRates: number[] = [];
      const ourRates: number[] = [];
      const loads: number[] = [];
      let command = '';
      for (let rep = 1; rep <= reps; rep += 1) {
        const reference = await runSmtpSource(sourceArgs(sink.port));
        sinkRates.push(reference.messagesPerSecond);
        loads.push(currentLoad());
        if (postfix !== null) {
          const durable = await runSmtpSource(sourceArgs(postfix.port));
          postfixRates.push(durable.messagesPerSecond);
          loads.push(currentLoad());
          // Its discard transport empties the queue after the 250s: not on our run's CPU time.
          await postfix.waitForEmptyQueue();
        }
        const ours = await runSmtpSource(sourceArgs(bench.service.smtpPort));
        ourRates.push(ours.messagesPerSecond);
        loads.push(currentLoad());
        command = ours.command;
        expectedJobs += mode.messages;
        context.log(
          `${mode.name} rep ${rep}: smtp-sink ${reference.messagesPerSecond.toFixed(0)} msg/s (${reference.seconds.toFixed(2)} s), Postfix durable ${postfixRates.at(-1)?.toFixed(0) ?? '—'} msg/s, ours ${ours.messagesPerSecond.toFixed(0)} msg/s (${ours.seconds.toFixed(2)} s), load ${currentLoad()}${ours.stderr === '' ? '' : `; smtp-source said: ${ours.stderr.slice(0, 300)}`}`,
        );
      }
      // The ledger: every 250 must be a committed job, nothing lost, nothing doubled.
      const counts = await bench.jobCounts();
      const committed = Object.values(counts).reduce((sum, n) => sum + n, 0);
      const referenceValue = median(sinkRates);
      const postfixValue = postfixRates.length === 0 ? null : median(postfixRates);
      const oursValue = median(ourRates);
      const ratio = oursValue / referenceValue;
      const shownCommand = command.replace(/127\.0\.0\.1:\d+$/, '<port>');
      const notes = `RSS at rest ${restingMiB ?? '?'} MiB; median of ${reps}, same run, alternating sink → Postfix → ours; ledger: ${committed}/${expectedJobs} jobs (${Object.entries(
        counts,
      )
        .map(([status, n]) => `${status} ${n}`)
        .join(', ')})`;
      rows.push({
        name: mode.name,
        reference: `smtp-sink (${shownCommand})`,
        referenceValue,
        oursValue,
        unit: 'msg/s',
        ratio,
        target: mode.target ? `≥ ${TARGET_SINK_RATIO}× smtp-sink (#16 target 1)` : 'report only',
        met: mode.target ? ratio >= TARGET_SINK_RATIO : null,
        peakRssMiB: bench.service.peakRssMiB(),
        load: Math.max(...loads),
        notes: `${notes}${postfixValue === null ? '' : `; Postfix durable ${postfixValue.toFixed(0)} msg/s`}`,
      });
      const postfixName = `${mode.name} vs Postfix durable queue`;
      const postfixReference = `private Postfix 3.7 (real queue, fsync; discard transport), ${shownCommand}`;
      const postfixTarget = mode.target ? `≥ ${TARGET_POSTFIX_RATIO}× Postfix durable (#16 target 1)` : 'report only';
      if (postfixValue === null) {
        rows.push(placeholderRow({ name: postfixName, reference: postfixReference, target: postfixTarget, why: `not measured: ${postfixProblem}` }));
      } else {
        const postfixRatio = oursValue / postfixValue;
        rows.push({
          name: postfixName,
          reference: postfixReference,
          referenceValue: postfixValue,
          oursValue,
          unit: 'msg/s',
          ratio: postfixRatio,
          target: postfixTarget,
          met: mode.target ? postfixRatio >= TARGET_POSTFIX_RATIO : null,
          peakRssMiB: bench.service.peakRssMiB(),
          load: Math.max(...loads),
          notes: `${notes}; Postfix = ${(postfixValue / referenceValue).toFixed(2)}× smtp-sink`,
        });
      }
    }
  } finally {
    await sink.stop();
    await postfix?.stop();
    const peak = await bench.close();
    context.log(`smtp-accept: service peak RSS ${peak ?? '?'} MiB`);
  }
  return rows;
}

if (isMain(import.meta.url)) await runStandalone(smtpAcceptBenchmark);
