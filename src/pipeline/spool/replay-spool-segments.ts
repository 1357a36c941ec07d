import { readdir, stat } from 'node:fs/promises';
import { countSpooledStagingJobs } from '../../db/jobs-repository.js';
import type { PipelineDeps } from '../pipeline-deps.js';
import { readSpoolSegment } from './spool-record.js';
import { SEGMENT_SUFFIX, type SpoolItem, type SpoolSegments } from './spool-segments.js';

/**
 * Reads back every segment on disk, left by a previous run (a crash) or by this one before its
 * lock was lost, and returns each whole record as one to drain: a record whose row is still
 * `staging` gets its folder, one whose row never committed is recorded then (its sender got no
 * 250 and will send again; the idempotency key makes that retry a duplicate). Unreadable bytes
 * at a segment's end are a batch torn by the crash, never acknowledged, and are ignored, unless
 * a committed job points there: then the segment is damaged and kept for a person.
 */
export async function replaySpoolSegments(args: {
  readonly deps: Pick<PipelineDeps, 'db' | 'logger'>;
  readonly segments: SpoolSegments;
  readonly generation: number;
}): Promise<{ readonly segments: number; readonly items: SpoolItem[] }> {
  const { deps, segments, generation } = args;
  const names = (await readdir(segments.dir)).filter((name) => name.endsWith(SEGMENT_SUFFIX)).sort();
  const items: SpoolItem[] = [];
  for (const name of names) {
    const segment = segments.adopt(name, generation);
    let end = 0;
    for await (const record of readSpoolSegment(segment.file)) {
      items.push({ segment, offset: record.offset, length: record.length, stagingId: record.manifest.stagingId, recovered: true });
      segment.pending += 1;
      end = record.offset + record.length;
    }
    if (end < (await stat(segment.file)).size && (await countSpooledStagingJobs(deps.db, { segment: name, fromOffset: end })) > 0) {
      segment.damaged = true;
      deps.logger.error('a spool segment is damaged: acknowledged arrivals in it cannot be read; it is kept for inspection', {
        segment: segment.file,
        readableBytes: end,
      });
    }
    if (segment.pending === 0) await segments.close(segment);
  }
  return { segments: names.length, items };
}
