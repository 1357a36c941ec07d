import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { loadConfig } from '../config/load-config.js';
import { FINAL_JOB_STATUSES, type JobRow } from '../db/database-schema.js';
import { findJob, listJobEvents } from '../db/jobs-repository.js';
import { jobDetailView } from '../http/jobs/job-view.js';
import { writeMailFiles } from '../pipeline/mail/write-mail-files.js';
import { sanitizeSegment } from '../pipeline/paths.js';
import { stagedFilesOf } from '../pipeline/staging/open-staged-file.js';
import { EXIT_FAILURE, EXIT_OK } from './exit-codes.js';
import { IngestProgress } from './ingest-progress.js';
import { UsageError } from './usage-error.js';
import { withPipeline } from './with-pipeline.js';

export interface IngestOptions {
  readonly customer: string;
  readonly type?: string;
  readonly group?: string;
  readonly wait?: boolean;
}

/** How often `--wait` reads the job's row. */
const POLL_INTERVAL_MS = 200;
/** `--wait` stops at these too: nothing runs them until a module matches or the hold is released. */
const WAIT_ENDS_AT: readonly string[] = [...FINAL_JOB_STATUSES, 'unclassified', 'held'];

export async function runIngest(file: string, options: IngestOptions): Promise<number> {
  const info = await stat(file).catch(() => undefined);
  if (info === undefined || !info.isFile()) throw new UsageError(`${file} is not a readable file`);
  const config = loadConfig();
  const wait = options.wait === true;
  // Progress only with --wait: without it the command ends as soon as the file is staged.
  const progress = wait ? new IngestProgress(process.stderr) : undefined;
  progress?.staging(0);
  try {
    // Only `--wait` runs a worker here; otherwise a running service picks the job up.
    return await withPipeline(config, { worker: wait }, async (service) => {
      const { job, duplicate } = await service.accept({
        source: 'cli',
        customer: options.customer,
        ...(options.type === undefined ? {} : { moduleKey: options.type }),
        ...(options.group === undefined ? {} : { group: options.group }),
        sourceRef: { file: path.resolve(file) },
        hints: { fileName: path.basename(file) },
        writeFiles: async (folder) => {
          const source = countBytes(createReadStream(file), (bytes) => progress?.staging(bytes));
          // A saved mail goes through the same split as SMTP (message.eml, body, attachments, hints),
          // so `ingest report.eml` is classified and parsed exactly like the delivered mail.
          if (/\.eml$/i.test(file)) return writeMailFiles({ folder, source, maxBytes: config.smtp.maxMessageBytes });
          await folder.writeFile({
            name: `original-${sanitizeSegment(path.basename(file)).slice(0, 80)}`,
            source,
            originalName: path.basename(file),
            role: 'original',
          });
          return undefined;
        },
      });
      if (progress === undefined) {
        process.stdout.write(`${JSON.stringify({ id: job.id, status: job.status, duplicate, path: `inbox/${job.relative_path}` })}\n`);
        return EXIT_OK;
      }
      // What the inbox holds (a duplicate's original, the parts of a split mail), not what was read.
      progress.staging(stagedFilesOf(job).reduce((sum, staged) => sum + staged.size, 0));
      service.worker?.wake();
      let current: JobRow = job;
      progress.job(current);
      while (!WAIT_ENDS_AT.includes(current.status)) {
        await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
        current = (await findJob(service.database.db, job.id)) ?? current;
        progress.job(current);
      }
      progress.end();
      process.stdout.write(`${JSON.stringify(jobDetailView(current, await listJobEvents(service.database.db, job.id)), null, 2)}\n`);
      return current.status === 'succeeded' ? EXIT_OK : EXIT_FAILURE;
    });
  } finally {
    // A refusal (an unknown module, a disabled customer) must not print its message after the progress line.
    progress?.end();
  }
}

/** The chunks of `source` as they are read, with the running byte count. */
async function* countBytes(source: AsyncIterable<Uint8Array>, onBytes: (bytes: number) => void): AsyncIterable<Uint8Array> {
  let bytes = 0;
  for await (const chunk of source) {
    bytes += chunk.length;
    onBytes(bytes);
    yield chunk;
  }
}
