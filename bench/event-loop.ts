// 6. Event-loop health: the service's event-loop delay (prom-client's monitorEventLoopDelay via
// GET /metrics, scraped every second) while a Veritas2Hview export with 1,000,000 jobs is loaded
// and smtp-source keeps SMTP busy at the same time; SMTP load alone first, for comparison.
//
//   npx tsx bench/event-loop.ts [--full] [--database-url URL] [--profile DIR]
import { isMain, runStandalone, type BenchContext } from './support/bench-context.js';
import { currentLoad, type BenchRow } from './support/bench-result.js';
import { BENCH_RECIPIENT, startBenchService } from './support/bench-service.js';
import { scrapeEventLoopLag, type LagSummary } from './support/metrics-scraper.js';
import { submitExportJob, waitForExportJob, waitUntilRunning } from './support/export-job.js';
import { runSmtpSource, type SmtpSourceArgs } from './support/postfix-tools.js';
import { buildVeritasExport } from './support/veritas-archive.js';

const SCRAPE_INTERVAL_MS = 1000;
const TARGET_MS = 100;
/** smtp-source rounds while the export runs: short, so the load stops soon after the export does. */
const ROUND_MESSAGES = 200;

function lagText(lag: LagSummary): string {
  return `worst 1-s p99 ${lag.worstP99Ms.toFixed(1)} ms, median p99 ${lag.medianP99Ms.toFixed(1)} ms, max ${lag.maxMs.toFixed(0)} ms over ${lag.windows} windows`;
}

export async function eventLoopBenchmark(context: BenchContext): Promise<BenchRow[]> {
  const jobs = context.full ? 1_000_000 : 300_000;
  const archiveStart = performance.now();
  const archive = await buildVeritasExport({ jobs, workRoot: context.workRoot });
  context.log(`event-loop: export with ${jobs.toLocaleString('en')} jobs ready in ${((performance.now() - archiveStart) / 1000).toFixed(1)} s: ${archive}`);
  const bench = await startBenchService(context, { name: 'event-loop', worker: true });
  const smtpArgs = (messages: number): SmtpSourceArgs => ({
    port: bench.service.smtpPort,
    sessions: 20,
    messageBytes: 5120,
    messages,
    reuseConnections: true,
    from: 'a@example.com',
    to: BENCH_RECIPIENT,
  });
  try {
    const alone = scrapeEventLoopLag({ httpUrl: bench.service.httpUrl, intervalMs: SCRAPE_INTERVAL_MS });
    const baseline = await runSmtpSource(smtpArgs(context.full ? 2_000 : 600));
    const smtpOnly = await alone.stop();
    context.log(`event-loop: SMTP alone ${baseline.messagesPerSecond.toFixed(0)} msg/s: ${lagText(smtpOnly)}`);

    // Measured from the claim on: the `ingest` CLI process that stages the archive is not the service.
    const jobId = await submitExportJob(bench, archive);
    await waitUntilRunning(bench, jobId);
    const during = scrapeEventLoopLag({ httpUrl: bench.service.httpUrl, intervalMs: SCRAPE_INTERVAL_MS });
    let exportDone = false;
    const exportRun = waitForExportJob(bench, jobId).finally(() => {
      exportDone = true;
    });
    let sent = 0;
    let smtpSeconds = 0;
    const smtpLoad = (async () => {
      while (!exportDone) {
        const round = await runSmtpSource(smtpArgs(ROUND_MESSAGES));
        sent += ROUND_MESSAGES;
        smtpSeconds += round.seconds;
      }
    })();
    const result = await exportRun;
    const lag = await during.stop();
    await smtpLoad;
    const load = currentLoad();
    context.log(
      `event-loop: export ${result.status} in ${result.runSeconds.toFixed(1)} s (run) with ${sent} SMTP messages at ${(sent / smtpSeconds).toFixed(0)} msg/s alongside: ${lagText(lag)}`,
    );
    return [
      {
        name: `6. Event-loop delay: ${jobs.toLocaleString('en')}-job export + SMTP load`,
        reference: `SMTP load alone (smtp-source -d -s 20 -l 5120): ${lagText(smtpOnly)}`,
        referenceValue: smtpOnly.worstP99Ms,
        oursValue: lag.worstP99Ms,
        unit: 'ms (worst 1-s p99)',
        ratio: null,
        target: `< ${TARGET_MS} ms`,
        met: lag.windows === 0 ? null : result.status === 'succeeded' && lag.worstP99Ms < TARGET_MS,
        peakRssMiB: bench.service.peakRssMiB(),
        load,
        notes: `${lagText(lag)}; export ${result.status} in ${result.runSeconds.toFixed(1)} s (claim → done, ${String(result.stats['veritas_jobs'] ?? '?')} rows), ${sent} SMTP msgs at ${(sent / smtpSeconds).toFixed(0)} msg/s meanwhile (alone: ${baseline.messagesPerSecond.toFixed(0)})${result.error === null ? '' : `; error: ${result.error}`}`,
      },
    ];
  } finally {
    await bench.close();
  }
}

if (isMain(import.meta.url)) await runStandalone(eventLoopBenchmark);
