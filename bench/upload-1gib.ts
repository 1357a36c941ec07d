// A 1 GiB direct upload (POST /api/1.0/uploads/hydrastor/veritas2hview), raw and multipart, against
// the real service in its own process: the service's resident set is sampled every 100 ms while
// the bytes stream, and must stay flat (the body is never buffered). The staged file is checked
// byte count and SHA-256 against what was sent.
//
//   npx tsx bench/upload-1gib.ts [--full] [--database-url URL]
//
// --full uploads 1 GiB per mode (the figures in docs/benchmarks.md); without it, 256 MiB.
import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BENCH_CUSTOMER, startBenchService } from './support/bench-service.js';
import { currentLoad, type BenchRow } from './support/bench-result.js';
import { isMain, runStandalone, type BenchContext } from './support/bench-context.js';
import { procStatusMiB } from './support/proc-status.js';

const MIB = 1024 * 1024;
const CHUNK_BYTES = MIB;
const SAMPLE_INTERVAL_MS = 100;
/** "Flat": the resident set may not grow by more than this while a whole upload streams through. */
const MAX_RSS_GROWTH_MIB = 64;
const ADMIN_KEY = 'bench-admin-key-0123456789abcdef';
const BOUNDARY = 'bench-boundary-7d9f3c1e2a4b';
/** A throwaway upload first, so start-up allocations (first request, first accept) are not counted as growth. */
const WARM_UP_BYTES = 8 * MIB;

interface UploadRun {
  readonly seconds: number;
  readonly rssBeforeMiB: number;
  readonly rssMaxMiB: number;
  readonly rssAfterMiB: number;
  readonly samples: number;
  /** RSS when a quarter, half, three quarters of the bytes had been sent. */
  readonly rssByQuarterMiB: readonly number[];
  readonly jobId: string;
  readonly sha256: string;
}

export async function upload1GiBBenchmark(context: BenchContext): Promise<BenchRow[]> {
  const totalBytes = (context.full ? 1024 : 256) * MIB;
  const bench = await startBenchService(context, {
    name: 'upload-1gib',
    worker: false,
    smtp: false,
    config: { adminApiKey: ADMIN_KEY, http: { rateLimit: { pointsPerSecond: 0 } } },
  });
  const rows: BenchRow[] = [];
  try {
    const { service } = bench;
    await uploadOnce({ url: service.httpUrl, pid: service.pid, totalBytes: WARM_UP_BYTES, multipart: false, seed: 0 });
    for (const multipart of [false, true]) {
      const run = await uploadOnce({ url: service.httpUrl, pid: service.pid, totalBytes, multipart, seed: multipart ? 2 : 1 });
      const staged = await stagedFileOf(service.httpUrl, run.jobId);
      const intact = staged.size === totalBytes && staged.sha256 === run.sha256;
      const growth = run.rssMaxMiB - run.rssBeforeMiB;
      const mode = multipart ? 'multipart/form-data' : 'raw octet-stream';
      context.log(
        `upload ${mode}: ${totalBytes / MIB} MiB in ${run.seconds.toFixed(1)} s (${(totalBytes / MIB / run.seconds).toFixed(0)} MiB/s); service RSS before ${run.rssBeforeMiB} MiB, at 25/50/75 % ${run.rssByQuarterMiB.join('/')} MiB, max during ${run.rssMaxMiB} MiB (${run.samples} samples), after ${run.rssAfterMiB} MiB; staged ${staged.size} bytes, sha256 ${intact ? 'matches' : 'DIFFERS'}`,
      );
      rows.push({
        name: `upload: ${totalBytes / MIB} MiB direct, ${mode}`,
        reference: 'service RSS before the upload',
        referenceValue: run.rssBeforeMiB,
        oursValue: run.rssMaxMiB,
        unit: 'MiB',
        ratio: null,
        target: `RSS growth ≤ ${MAX_RSS_GROWTH_MIB} MiB; file intact`,
        met: growth <= MAX_RSS_GROWTH_MIB && intact,
        peakRssMiB: service.peakRssMiB(),
        load: currentLoad(),
        notes: `growth ${growth} MiB (at 25/50/75 %: ${run.rssByQuarterMiB.join('/')} MiB), after ${run.rssAfterMiB} MiB; ${(totalBytes / MIB / run.seconds).toFixed(0)} MiB/s (${run.seconds.toFixed(1)} s) to fsynced inbox/ + job row; staged ${intact ? 'byte-exact (size + sha256)' : 'NOT intact'}`,
      });
    }
  } finally {
    const peak = await bench.close();
    context.log(`upload-1gib: service peak RSS ${peak ?? '?'} MiB`);
  }
  return rows;
}

/** Streams `totalBytes` (gzip magic, then a cheap pattern) from a generator: the bench holds 1 MiB at a time, never the file. */
async function uploadOnce(args: {
  readonly url: string;
  readonly pid: number;
  readonly totalBytes: number;
  readonly multipart: boolean;
  readonly seed: number;
}): Promise<UploadRun> {
  const hash = createHash('sha256');
  let bytesSent = 0;
  const chunk = Buffer.alloc(CHUNK_BYTES, 0x41 + args.seed);
  const head = `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="bench.tar.gz"\r\nContent-Type: application/gzip\r\n\r\n`;
  const tail = `\r\n--${BOUNDARY}--\r\n`;
  async function* body(): AsyncGenerator<Buffer> {
    if (args.multipart) yield Buffer.from(head);
    for (let sent = 0; sent < args.totalBytes; sent += CHUNK_BYTES) {
      const piece = Buffer.from(chunk.subarray(0, Math.min(CHUNK_BYTES, args.totalBytes - sent)));
      if (sent === 0) piece.set([0x1f, 0x8b], 0);
      // Distinct chunks, so a byte in the wrong place changes the digest.
      piece.writeUInt32BE(sent / CHUNK_BYTES, Math.min(16, piece.length - 4));
      hash.update(piece);
      bytesSent = sent + piece.length;
      yield piece;
    }
    if (args.multipart) yield Buffer.from(tail);
  }
  const contentLength = args.totalBytes + (args.multipart ? Buffer.byteLength(head) + Buffer.byteLength(tail) : 0);
  const rss = (): number => procStatusMiB(args.pid, 'VmRSS') ?? Number.NaN;
  const rssBeforeMiB = rss();
  let rssMaxMiB = rssBeforeMiB;
  const timeline: Array<{ readonly sent: number; readonly rssMiB: number }> = [];
  const sampler = setInterval(() => {
    const rssMiB = rss();
    timeline.push({ sent: bytesSent, rssMiB });
    rssMaxMiB = Math.max(rssMaxMiB, rssMiB);
  }, SAMPLE_INTERVAL_MS);
  const started = performance.now();
  try {
    const target = new URL(`${args.url}/api/1.0/uploads/hydrastor/veritas2hview?customer=${BENCH_CUSTOMER}&group=bench_grid`);
    const answer = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(
        target,
        {
          method: 'POST',
          agent: false,
          headers: {
            'X-Api-Key': ADMIN_KEY,
            'Content-Length': String(contentLength),
            'Content-Type': args.multipart ? `multipart/form-data; boundary=${BOUNDARY}` : 'application/octet-stream',
          },
        },
        (response) => {
          let text = '';
          response.setEncoding('utf8');
          response.on('data', (part: string) => {
            text += part;
          });
          response.once('end', () => resolve({ status: response.statusCode ?? 0, text }));
        },
      );
      req.once('error', reject);
      pipeline(Readable.from(body()), req).catch(reject);
    });
    if (answer.status !== 202) throw new Error(`upload answered ${answer.status}: ${answer.text}`);
    const seconds = (performance.now() - started) / 1000;
    clearInterval(sampler);
    rssMaxMiB = Math.max(rssMaxMiB, rss());
    const rssByQuarterMiB = [0.25, 0.5, 0.75].map((quarter) => timeline.find((sample) => sample.sent >= quarter * args.totalBytes)?.rssMiB ?? Number.NaN);
    return {
      seconds,
      rssBeforeMiB,
      rssMaxMiB,
      rssAfterMiB: rss(),
      samples: timeline.length,
      rssByQuarterMiB,
      jobId: (JSON.parse(answer.text) as { job: { id: string } }).job.id,
      sha256: hash.digest('hex'),
    };
  } finally {
    clearInterval(sampler);
  }
}

async function stagedFileOf(url: string, jobId: string): Promise<{ size: number; sha256: string }> {
  const response = await fetch(`${url}/api/1.0/jobs/${jobId}`, { headers: { 'X-Api-Key': ADMIN_KEY } });
  const job = (await response.json()) as { files: Array<{ size: number; sha256: string }> };
  const file = job.files[0];
  if (file === undefined) throw new Error(`job ${jobId} has no staged file`);
  return file;
}

if (isMain(import.meta.url)) await runStandalone(upload1GiBBenchmark);
