import { createReadStream } from 'node:fs';
import { access } from 'node:fs/promises';
import path from 'node:path';
import type { JobRow } from '../../db/database-schema.js';
import { UNCLASSIFIED_CATEGORY, type Arrival } from '../accept.js';
import { readJobManifest } from '../../db/job-manifest.js';
import { stagedFilesOf } from './open-staged-file.js';
import { areaPath } from '../paths.js';

export interface ReplaySkip {
  readonly code: 'ORIGINALS_ON_OTHER_NODE' | 'ORIGINALS_MISSING' | 'NO_ORIGINALS';
  readonly message: string;
}

export interface ReplayArgs {
  readonly dataRoot: string;
  readonly nodeName: string;
  /** Every node sees the same data root: any node may read any job's originals. */
  readonly sharedDataRoot: boolean;
  readonly job: JobRow;
  /** Names this replay request; the same batch replayed twice yields the same jobs (idempotent). */
  readonly batch: string;
}

/**
 * A new arrival made of an existing job's originals, for the pipeline's accept: it is staged,
 * classified and queued like any arrival (source `replay`), so the module runs again on exactly
 * the bytes it saw the first time. The source job and its inbox folder are only read.
 * Classified jobs keep their module and group; unclassified ones are classified afresh (a rule
 * may match now).
 */
export async function replayArrival(args: ReplayArgs): Promise<{ readonly arrival: Arrival } | { readonly skipped: ReplaySkip }> {
  const { job } = args;
  const files = stagedFilesOf(job);
  if (files.length === 0) return { skipped: { code: 'NO_ORIGINALS', message: 'the job has no staged originals' } };
  if (!args.sharedDataRoot && job.node !== args.nodeName) {
    return { skipped: { code: 'ORIGINALS_ON_OTHER_NODE', message: `the originals are on node ${job.node}; replay there or share the data root` } };
  }
  const folder = areaPath(args.dataRoot, 'inbox', job.relative_path);
  for (const file of files) {
    try {
      await access(path.join(folder, file.name));
    } catch {
      return { skipped: { code: 'ORIGINALS_MISSING', message: `inbox/${job.relative_path}/${file.name} is missing` } };
    }
  }
  const { hints } = readJobManifest(job);
  const classified = job.category !== UNCLASSIFIED_CATEGORY;
  const arrival: Arrival = {
    source: 'replay',
    customer: job.customer,
    receivedAt: new Date(),
    // The original reference stays searchable (S3 key, Message-ID) next to where the bytes came from.
    sourceRef: { ...(job.source_ref as Record<string, unknown>), replayOf: job.id, replayBatch: args.batch, originalSource: job.source },
    hints,
    ...(classified ? { moduleKey: `${job.category}/${job.type}`, group: job.group_name } : {}),
    idempotencyKey: `replay:${job.id}:${args.batch}`,
    async writeFiles(incoming) {
      for (const file of files) {
        await incoming.writeFile({
          name: file.name,
          source: createReadStream(path.join(folder, file.name)),
          ...(file.originalName === undefined ? {} : { originalName: file.originalName }),
          ...(file.contentType === undefined ? {} : { contentType: file.contentType }),
          ...(file.role === undefined ? {} : { role: file.role }),
        });
      }
    },
  };
  return { arrival };
}
