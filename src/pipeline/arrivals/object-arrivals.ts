import { claimObjectSequencer, findSeenETags, recordStaleEvent, type SequencerClaim } from '../../db/s3-objects-repository.js';
import { toIngestError } from '../../core/ingest-error.js';
import type { AcceptResult, Arrival } from '../accept.js';
import type { PipelineDeps } from '../pipeline-deps.js';
import { acceptObjectArrival, type ObjectArrival } from './accept-object-arrival.js';

export type { ObjectArrival, ObjectVersionRead } from './accept-object-arrival.js';
export type ObjectEventClaim = SequencerClaim;

/**
 * What the S3 edge (src/s3events) gets from the pipeline: every question it has about the
 * database, so the edge itself holds no SQL and no connection.
 */
export interface ObjectArrivals {
  /**
   * Records an event's sequencer as the newest for its key. Stale when a newer event for the key
   * was already accepted: the event is counted against the key and must not be applied.
   */
  claimEvent(event: { readonly bucket: string; readonly key: string; readonly sequencer: string; readonly eventTime?: Date }): Promise<ObjectEventClaim>;
  /** The door for one object version (acceptObjectArrival); a failed arrival goes through it too. */
  accept(arrival: ObjectArrival): Promise<AcceptResult>;
  /** The ETag each of `keys` was last read at by a job (keys never read are absent). */
  readETags(args: { readonly bucket: string; readonly keys: readonly string[] }): Promise<ReadonlyMap<string, string | null>>;
}

/** `accept` is the pipeline's door as the composition root wires it (with its metrics). */
export function objectArrivals(deps: Pick<PipelineDeps, 'db'>, accept: (arrival: Arrival) => Promise<AcceptResult>): ObjectArrivals {
  const { db } = deps;
  return {
    async claimEvent(event) {
      try {
        const claim = await claimObjectSequencer(db, event);
        if (claim.stale) await recordStaleEvent(db, event);
        return claim;
      } catch (error) {
        throw toIngestError(error);
      }
    },
    accept: (arrival) => acceptObjectArrival({ db, accept }, arrival),
    readETags: (args) =>
      findSeenETags(db, args).catch((error: unknown) => {
        throw toIngestError(error);
      }),
  };
}
