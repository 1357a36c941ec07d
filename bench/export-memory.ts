// 3b. Export ingest memory: the service process's peak RSS (VmHWM) while its worker loads a
// generated Veritas2Hview export, at two sizes; memory must not grow with the input. The export
// is handed over with `dataprocessor ingest` (another process) and run by the service's worker.
//
//   npx tsx bench/export-memory.ts [--full] [--database-url URL] [--compiled]
import { isMain, runStandalone, type BenchContext } from './support/bench-context.js';
import { currentLoad, type BenchRow } from './support/bench-result.js';
import { startBenchService } from './support/bench-service.js';
import { submitExportJob, waitForExportJob, waitUntilRunning } from './support/export-job.js';
import { MEMORY_GAUGES, memoryPeaks, scrapeMetrics } from './support/metrics-scraper.js';
import { procStatusMiB } from './support/proc-status.js';
import { buildVeritasExport } from './support/veritas-archive.js';

const TARGET_RSS_MIB = 256;
const MEMORY_SCRAPE_MS = 250;

export async function exportMemoryBenchmark(context: BenchContext): Promise<BenchRow[]> {
  const sizes = context.full ? [1_000_000, 5_000_000] : [100_000, 500_000];
  const rows: BenchRow[] = [];
  for (const jobs of sizes) {
    const buildStart = performance.now();
    const archive = await buildVeritasExport({ jobs, workRoot: context.workRoot });
    context.log(`export-memory: ${jobs.toLocaleString('en')}-job export built in ${((performance.now() - buildStart) / 1000).toFixed(1)} s`);
    const bench = await startBenchService(context, { name: `export-memory-${jobs}`, worker: true, smtp: false });
    let peak: number | null;
    try {
      const idleRss = procStatusMiB(bench.service.pid, 'VmRSS');
      const jobId = await submitExportJob(bench, archive);
      await waitUntilRunning(bench, jobId);
      const memory = scrapeMetrics({ httpUrl: bench.service.httpUrl, intervalMs: MEMORY_SCRAPE_MS, gauges: MEMORY_GAUGES });
      const result = await waitForExportJob(bench, jobId);
      const peaks = memoryPeaks(await memory.stop());
      peak = bench.service.peakRssMiB();
      const rows_ = Number(result.stats['veritas_jobs'] ?? Number.NaN);
      context.log(
        `export-memory: ${jobs.toLocaleString('en')} jobs ${result.status} in ${result.runSeconds.toFixed(1)} s (${(rows_ / result.runSeconds).toFixed(0)} rows/s), peak RSS ${peak ?? '?'} MiB (idle ${idleRss ?? '?'} MiB); scraped peaks: ${peaks}`,
      );
      rows.push({
        name: `3b. Export ingest peak RSS, ${jobs.toLocaleString('en')} jobs`,
        reference: `service RSS at rest after start-up: ${idleRss ?? '?'} MiB`,
        referenceValue: idleRss,
        oursValue: peak,
        unit: 'MiB',
        ratio: null,
        target: `≤ ${TARGET_RSS_MIB} MiB`,
        met: result.status === 'succeeded' && peak !== null && peak <= TARGET_RSS_MIB,
        peakRssMiB: peak,
        load: currentLoad(),
        notes: `job ${result.status} in ${result.runSeconds.toFixed(1)} s claim → done (${(rows_ / result.runSeconds).toFixed(0)} rows/s), ${result.totalSeconds.toFixed(1)} s from commit; ${rows_} veritas_jobs rows; scraped every ${MEMORY_SCRAPE_MS} ms: ${peaks}${result.error === null ? '' : `; error: ${result.error}`}`,
      });
    } finally {
      await bench.close();
    }
  }
  return rows;
}

if (isMain(import.meta.url)) await runStandalone(exportMemoryBenchmark);
