import type { Kysely } from 'kysely';
import type { Database } from '../db/database-schema.js';
import { latestJobEventId, listJobEventFeed, type JobEventFeedEntry } from '../db/job-event-feed-repository.js';

/** Entries read per poll; a busy system catches up over the next polls, in order. */
const FEED_BATCH = 500;
/**
 * An id passed over is looked for again this long: its transaction had taken the id but not
 * committed when we read (the timeline entry of a claim or a finish commits within moments).
 * After that it was rolled back, and identity values are never reused.
 */
const GAP_WAIT_MS = 30_000;
/** Bounds memory and the query after a burst of rollbacks. */
const MAX_GAPS = 5_000;

export interface FollowJobEventsArgs {
  readonly db: Kysely<Database>;
  readonly intervalMs: number;
  readonly signal: AbortSignal;
  /** Called for each entry once, in id order (a late committer comes when it is seen). */
  readonly onEntry: (entry: JobEventFeedEntry) => void;
  /** Called once the starting point is read: from here on nothing committed is missed. */
  readonly onReady?: () => void;
  readonly now?: () => number;
}

/**
 * Follows the jobs' timelines from now on until `signal` aborts: entries committed after the
 * start, each once. Ids come from one sequence, but a transaction commits after others that took
 * later ids, so a reader that only remembered the highest id would miss it: ids skipped over are
 * kept as gaps and asked for again until they appear or are surely rolled back.
 */
export async function followJobEvents(args: FollowJobEventsArgs): Promise<void> {
  const now = args.now ?? (() => Date.now());
  let lastId = BigInt(await latestJobEventId(args.db));
  const gaps = new Map<bigint, number>();
  args.onReady?.();
  while (!args.signal.aborted) {
    const entries = await listJobEventFeed(args.db, { afterId: String(lastId), alsoIds: [...gaps.keys()].map(String), limit: FEED_BATCH });
    for (const entry of entries) {
      const id = BigInt(entry.event.id);
      if (id > lastId) {
        for (let missing = lastId + 1n; missing < id && gaps.size < MAX_GAPS; missing += 1n) gaps.set(missing, now());
        lastId = id;
      } else if (!gaps.delete(id)) {
        continue;
      }
      args.onEntry(entry);
    }
    const expired = now() - GAP_WAIT_MS;
    for (const [id, since] of gaps) if (since < expired) gaps.delete(id);
    // A full batch means more is waiting: read on at once.
    if (entries.length < FEED_BATCH) await sleep(args.intervalMs, args.signal);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
