import type { BpdbjobsRecord } from './bpdbjobs-record.js';
import { parseBpdbjobs } from './parse-bpdbjobs.js';

/**
 * The latest moment a job shows it was seen at: its end, its start, or its start plus the time it
 * had been running (for a running job, that is the moment bpdbjobs ran).
 */
function latestJobTime(job: BpdbjobsRecord): number {
  const started = job.startedAt?.getTime() ?? Number.NEGATIVE_INFINITY;
  const running = job.startedAt !== null && job.elapsedSeconds !== null ? started + job.elapsedSeconds * 1000 : Number.NEGATIVE_INFINITY;
  return Math.max(started, running, job.endedAt?.getTime() ?? Number.NEGATIVE_INFINITY);
}

/** Whole lines only: the part before the first line end of a tail is a piece of some record. */
function wholeLines(text: string, edge: 'head' | 'tail'): string {
  if (edge === 'head') {
    const lastNewline = text.lastIndexOf('\n');
    return lastNewline === -1 ? text : text.slice(0, lastNewline + 1);
  }
  const firstNewline = text.indexOf('\n');
  return firstNewline === -1 ? '' : text.slice(firstNewline + 1);
}

/**
 * The newest job time in the first and last bytes of bpdbjobs: what stands in for the generation
 * time of an export without a manifest. bpdbjobs lists the newest jobs first (other tools write
 * them last), and the running ones among them carry the moment of the export, so both ends hold
 * the newest times without a pass over the whole file. Null when neither end names a time.
 *
 * Best effort by design: a part that does not parse (a cut record, a column layout the parser
 * refuses) is skipped here; the load of the whole file reports real problems.
 */
export async function newestJobTime(args: {
  readonly head: string;
  readonly tail: string;
  readonly columns: readonly string[] | undefined;
}): Promise<Date | null> {
  let newest = Number.NEGATIVE_INFINITY;
  for (const text of [wholeLines(args.head, 'head'), wholeLines(args.tail, 'tail')]) {
    try {
      for await (const batch of parseBpdbjobs([text], { columns: args.columns })) {
        for (const job of batch.records) newest = Math.max(newest, latestJobTime(job));
      }
    } catch {
      // See above: the second pass parses the whole file and fails the job if it must.
    }
  }
  return Number.isFinite(newest) ? new Date(newest) : null;
}
