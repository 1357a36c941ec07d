import { isSpoolLockHeldBy } from '../../db/spool-lock-repository.js';
import { IngestError, toIngestError } from '../../core/ingest-error.js';
import type { PipelineDeps } from '../pipeline-deps.js';
import type { AcceptResult } from '../staging/accept-result.js';
import { answerDuplicate } from '../staging/answer-duplicate.js';
import { insertStagingRows } from '../staging/insert-staging-rows.js';
import { encodeSpoolRecord, type SpoolRecord } from './spool-record.js';
import type { SpoolLockHolder } from './spool-lock.js';
import type { SpoolItem, SpoolSegments } from './spool-segments.js';

const MAX_BATCH_RECORDS = 512;
const MAX_BATCH_BYTES = 8 * 1024 * 1024;
/** INSERTs of appended batches running at once (each holds a pooled connection). */
const MAX_INSERTS_IN_FLIGHT = 3;

interface Waiting {
  readonly record: SpoolRecord;
  readonly encoded: Buffer;
  resolve(result: AcceptResult): void;
  reject(error: unknown): void;
}

export interface SpoolGroupCommitArgs {
  readonly deps: PipelineDeps;
  readonly node: string;
  readonly segments: SpoolSegments;
  /** The lock session the spool works under right now; undefined without the lock (appends are refused). */
  readonly holder: () => SpoolLockHolder | undefined;
  /** Hands acknowledged (or possibly committed) records to the drain. */
  readonly drain: (items: readonly SpoolItem[]) => void;
}

/**
 * The acknowledgement path of the spool, as a mail server's queue does it: whatever arrived
 * while the previous batch was being flushed forms the next batch: one append, one fdatasync, one
 * INSERT of all its job rows (state `staging`, with where the record lies), one commit, and then
 * every arrival of the batch is answered. No timer: under light load a batch is one arrival.
 */
export class SpoolGroupCommit {
  readonly #args: SpoolGroupCommitArgs;
  #waiting: Waiting[] = [];
  /** One batch is appended at a time (offsets are serial); its INSERT then overlaps the next append. */
  #appending = false;
  readonly #recording = new Set<Promise<void>>();
  /** The latest append to a segment (a replay waits for it). */
  #appended: Promise<unknown> | undefined;

  constructor(args: SpoolGroupCommitArgs) {
    this.#args = args;
  }

  /** Arrivals not yet appended. */
  waiting(): number {
    return this.#waiting.length;
  }

  /** True while an arrival is waiting, being appended or being recorded. */
  busy(): boolean {
    return this.#appending || this.#recording.size > 0 || this.#waiting.length > 0;
  }

  /** The INSERTs in flight, to wait for. */
  recording(): Array<Promise<void>> {
    return [...this.#recording];
  }

  /** The latest append (a replay after a regained lock waits for it). */
  appended(): Promise<unknown> | undefined {
    return this.#appended;
  }

  commit(record: SpoolRecord): Promise<AcceptResult> {
    return new Promise((resolve, reject) => {
      this.#waiting.push({ record, encoded: encodeSpoolRecord(record), resolve, reject });
      this.#startFlush();
    });
  }

  /** At a stop: answers every arrival not yet appended with `error` (none of them was acknowledged). */
  rejectWaiting(error: IngestError): void {
    for (const entry of this.#waiting.splice(0)) entry.reject(error);
  }

  #startFlush(): void {
    if (this.#appending || this.#waiting.length === 0 || this.#recording.size >= MAX_INSERTS_IN_FLIGHT) return;
    const batch = takeBatch(this.#waiting);
    this.#waiting = this.#waiting.slice(batch.length);
    this.#appending = true;
    const appended = this.#append(batch);
    this.#appended = appended;
    void appended.then(
      ({ items, holder }) => {
        this.#appending = false;
        const recording = this.#record(batch, items, holder).finally(() => {
          this.#recording.delete(recording);
          this.#startFlush();
        });
        this.#recording.add(recording);
        this.#startFlush();
      },
      (error: unknown) => {
        this.#appending = false;
        for (const entry of batch) entry.reject(toIngestError(error));
        this.#startFlush();
      },
    );
  }

  /** Appends a batch durably and says under which lock session. */
  async #append(batch: readonly Waiting[]): Promise<{ items: SpoolItem[]; holder: SpoolLockHolder }> {
    const holder = this.#args.holder();
    if (holder === undefined) throw new IngestError('SPOOL_LOCK_LOST', 'this instance no longer holds its spool', { transient: true });
    const { segment, start } = await this.#args.segments.append(batch.map((entry) => entry.encoded));
    let offset = start;
    const items = batch.map((entry) => {
      const item = { segment, offset, length: entry.encoded.byteLength, stagingId: entry.record.manifest.stagingId, recovered: false };
      offset += entry.encoded.byteLength;
      return item;
    });
    return { items, holder };
  }

  /**
   * Commits the job rows of an appended batch (one INSERT) and answers every arrival of it.
   *
   * Fenced: the transaction commits only if the session that held the lock when the batch was
   * appended still holds it. A lost lock is noticed here up to 15 s late; meanwhile another
   * instance may have taken it and replayed these segments before the append, and would delete
   * them without this record. If that session still holds the lock, nobody else held it since
   * the append, and whoever takes it next replays the record (its row committed or not).
   */
  async #record(batch: readonly Waiting[], items: readonly SpoolItem[], holder: SpoolLockHolder): Promise<void> {
    const { deps, node } = this.#args;
    let results: Array<{ job: AcceptResult['job']; duplicate: boolean }>;
    try {
      results = await deps.db.transaction().execute(async (trx) => {
        if (!(await isSpoolLockHeldBy(trx, { node, session: holder })))
          throw new IngestError('SPOOL_LOCK_LOST', 'this instance no longer holds its spool', { transient: true });
        return insertStagingRows(
          { ...deps, db: trx },
          batch.map((entry, index) => ({
            manifest: entry.record.manifest,
            spool: { segment: (items[index] as SpoolItem).segment.name, offset: (items[index] as SpoolItem).offset },
          })),
        );
      });
    } catch (error) {
      // The rows may have committed even so (a connection lost after COMMIT). Whatever happened,
      // the drain makes each record's job exist exactly once, by staging id and idempotency key:
      // the sender, answered 4xx, retries and finds it as a duplicate.
      this.#args.drain(items.map((item) => ({ ...item, recovered: true })));
      for (const entry of batch) entry.reject(toIngestError(error));
      return;
    }
    const toDrain: SpoolItem[] = [];
    for (const [index, entry] of batch.entries()) {
      const result = results[index] as AcceptResult;
      const item = items[index] as SpoolItem;
      if (!result.duplicate) {
        toDrain.push(item);
        entry.resolve(result);
        continue;
      }
      this.#args.segments.settle(item.segment);
      try {
        entry.resolve(answerDuplicate(result.job));
      } catch (error) {
        entry.reject(error);
      }
    }
    this.#args.drain(toDrain);
  }
}

/** The arrivals waiting now, up to one batch's worth (at least one, however large). */
function takeBatch(waiting: readonly Waiting[]): Waiting[] {
  let bytes = 0;
  let count = 0;
  for (const entry of waiting) {
    if (count > 0 && (count >= MAX_BATCH_RECORDS || bytes + entry.encoded.byteLength > MAX_BATCH_BYTES)) break;
    bytes += entry.encoded.byteLength;
    count += 1;
  }
  return waiting.slice(0, count);
}
