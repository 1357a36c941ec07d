import type { Readable } from 'node:stream';
import type { Transaction } from 'kysely';
import type { Database } from '../../../db/database-schema.js';
import type { BpimagelistImage } from './bpimagelist-image.js';
import { createStageTable } from './copy-columns.js';
import { copyInRounds } from './copy-stage-rounds.js';
import { withoutNul } from './copy-text.js';
import { IMAGE_STAGE, IMAGES_TABLE, mergeStagedFragments } from './image-stage.js';
import type { LoadResult } from './load-jobs.js';
import { mergeStage } from './merge-stage.js';
import { OBSERVED_NO_EARLIER } from './observation-order.js';
import { parseBpimagelist } from './parse-bpimagelist.js';
import type { ParseIssue } from '../../parse-issue.js';

export interface LoadImagesArgs {
  readonly source: Readable;
  readonly masterServerId: string;
  readonly jobId: string;
  /** The export's observation time (export-observation.ts). */
  readonly observedAt: Date | null;
  readonly signal: AbortSignal;
  readonly onIssue: (issue: ParseIssue) => void;
  readonly onProgress: (progress: { readonly imagesRead: number }) => void;
  readonly roundRows?: number;
}

export interface LoadImagesResult extends LoadResult {
  readonly fragmentsWritten: number;
}

/**
 * Streams bpimagelist into COPY rounds; each round merges its images, then their fragments
 * (which reference the images). An older export than the one an image came from adds only
 * images that are missing, and leaves the fragments of the others as they are.
 */
export async function loadImages(trx: Transaction<Database>, args: LoadImagesArgs): Promise<LoadImagesResult> {
  await createStageTable(trx, IMAGE_STAGE);
  let read = 0;
  let fragmentsWritten = 0;
  async function* images(): AsyncGenerator<BpimagelistImage[], void, undefined> {
    for await (const batch of parseBpimagelist(args.source)) {
      for (const issue of batch.issues) args.onIssue(issue);
      read += batch.images.length;
      args.onProgress({ imagesRead: read });
      if (batch.images.length > 0) yield batch.images;
    }
  }
  const target = { masterServerId: args.masterServerId, jobId: args.jobId, observedAt: args.observedAt };
  const result = await copyInRounds({
    trx,
    stage: IMAGE_STAGE,
    batches: images(),
    keyOf: (image) => withoutNul(image.backupId),
    merge: async () => {
      const written = await mergeStage({
        trx,
        stage: IMAGE_STAGE,
        target: IMAGES_TABLE,
        keyColumns: ['backup_id'],
        updateGuard: OBSERVED_NO_EARLIER,
        ...target,
      });
      fragmentsWritten += await mergeStagedFragments(trx, target);
      return written;
    },
    signal: args.signal,
    ...(args.roundRows === undefined ? {} : { roundRows: args.roundRows }),
  });
  return { read, written: result.rowsWritten, fragmentsWritten };
}
