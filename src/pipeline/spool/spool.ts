import { randomUUID } from 'node:crypto';
import { closeSync, openSync } from 'node:fs';
import { mkdir, open, readdir, stat, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { countSpooledStagingJobs, findJobsByStagingIds, finishStagingMany } from '../../db/jobs-repository.js';
import { isSpoolLockHeldBy } from '../../db/spool-lock-repository.js';
import { IngestError, toIngestError } from '../../core/ingest-error.js';
import { insertStagingRows } from '../staging/insert-staging-rows.js';
import { areaPath, sanitizeSegment } from '../paths.js';
import type { PipelineDeps } from '../pipeline-deps.js';
import { isSpooled, type AcceptResult } from '../staging/record-staged-folder.js';
import { fsyncDirectory } from '../staging/stage.js';
import type { StagedManifest } from '../staging/staged-manifest.js';
import { encodeSpoolRecord, readSpoolRecordAt, readSpoolSegment, type SpoolRecord } from './spool-record.js';
import { holdSpoolLock, type SpoolLock, type SpoolLockHolder } from './spool-lock.js';
import { ancestorsUpTo, syncFileSystem } from './sync-file-system.js';
import { writeSpooledFolder } from './write-spooled-folder.js';

/** The spool's part of the configuration (`spool` in config/default.json). */
export interface SpoolSettings {
  readonly maxBacklog: number;
  /**
   * False: only replay what an earlier run left (the spool was turned off since, or this node
   * has no stable name), then let go of the spool.
   */
  readonly accept: boolean;
}

/** What the pipeline's entry sees of the spool (PipelineDeps.spool). */
export interface ArrivalSpool {
  /** False while stopping, without the lock, or with too many arrivals not yet in their folders: use the folder path. */
  accepting(): boolean;
  /** Resolves once the arrival is durable in the spool and its job row committed. */
  commit(record: SpoolRecord): Promise<AcceptResult>;
}

const SEGMENT_BYTES = 64 * 1024 * 1024;
const MAX_BATCH_RECORDS = 512;
const MAX_BATCH_BYTES = 8 * 1024 * 1024;
const DRAIN_BATCH_RECORDS = 256;
const DRAIN_PARALLEL_WRITES = 4;
const DRAIN_RETRY_MS = 1000;
const DRAIN_GATHER_MS = 100;
/** INSERTs of appended batches running at once (each holds a pooled connection). */
const MAX_INSERTS_IN_FLIGHT = 3;
/** Pause before replaying again when the replay after a regained lock failed (the database went again). */
const RESUME_RETRY_MS = 1000;
const SEGMENT_SUFFIX = '.spool';

interface Segment {
  readonly name: string;
  readonly file: string;
  handle: FileHandle | undefined;
  size: number;
  /** Records appended whose job folder is not yet written and durable. */
  pending: number;
  /** No more appends: deleted once nothing is pending. */
  closed: boolean;
  /** A record could not be read back: keep the file for a person to look at. */
  damaged: boolean;
  /** The lock generation it belongs to: one of before a loss is never deleted (another instance may own it now). */
  readonly generation: number;
}

interface Waiting {
  readonly record: SpoolRecord;
  readonly encoded: Buffer;
  resolve(result: AcceptResult): void;
  reject(error: unknown): void;
}

interface DrainItem {
  readonly segment: Segment;
  readonly offset: number;
  readonly length: number;
  readonly stagingId: string;
  /** Read back by start-up recovery: its row may never have been committed. */
  readonly recovered: boolean;
}

/**
 * Durable acceptance of small arrivals with group commit, as a mail server's queue does it.
 * Each arrival is appended to a segment file shared by all of them; whatever arrived while the
 * previous batch was being flushed forms the next batch: one write, one fdatasync, one INSERT of
 * all its job rows (state `staging`, with where the record lies), one commit, and then every
 * arrival of the batch is acknowledged. No timer: under light load a batch is one arrival.
 *
 * After the acknowledgement, the drain writes each job folder under inbox/ (not fsynced one by
 * one), makes a whole batch of folders durable with one syncfs, and only then moves the jobs to
 * `queued` (one UPDATE) and lets go of their records. A segment is deleted once every record in
 * it has its durable folder. After a crash, start-up replays every segment left: records whose
 * row is still `staging` get their folder; records whose row never committed are recorded now
 * (their sender got no 250 and will send again; the idempotency key makes that retry a
 * duplicate). A torn record at a segment's end was never acknowledged and is ignored.
 *
 * One spool per node: `<dataRoot>/spool/<node>/`, guarded by a PostgreSQL advisory lock, so an
 * instance starting while another still runs on the same data root never replays its segments.
 */
export class Spool implements ArrivalSpool {
  readonly #deps: PipelineDeps;
  readonly #settings: SpoolSettings;
  readonly #dir: string;
  readonly #node: string;
  readonly #lock: SpoolLock;
  #current: Segment | undefined;
  readonly #segments = new Set<Segment>();
  #waiting: Waiting[] = [];
  /** One batch is appended at a time (offsets are serial); its INSERT then overlaps the next append. */
  #appending = false;
  readonly #recording = new Set<Promise<void>>();
  readonly #drainQueue: DrainItem[] = [];
  /** Records whose folder failed on its own: retried alone, with a growing pause, so the rest flow. */
  readonly #stuck: Array<{ readonly item: DrainItem; failures: number; retryAt: number }> = [];
  #draining: Promise<void> | undefined;
  #stopped = false;
  /** Set when stopping is past its grace: the drain ends at its next step. */
  #halted = false;
  #stopping: Promise<void> | undefined;
  /**
   * Counts losses of the lock. Whatever was in memory before a loss (segments, records to drain)
   * belongs to an older generation: it is dropped, and the replay after the lock is taken again
   * starts from the files on disk, since another instance may have replayed them meanwhile.
   */
  #generation = 0;
  /** The session whose lock this spool works under; undefined from a loss until the replay after the regain is done. */
  #holder: SpoolLockHolder | undefined;
  /** The replay after a regained lock. */
  #resuming: Promise<void> | undefined;
  /** The latest append to a segment (a replay waits for it). */
  #appended: Promise<unknown> | undefined;
  #lockLosses = 0;
  #lockRegains = 0;

  private constructor(deps: PipelineDeps, settings: SpoolSettings, node: string, dir: string, lock: SpoolLock) {
    this.#deps = deps;
    this.#node = node;
    this.#settings = settings;
    this.#dir = dir;
    this.#lock = lock;
  }

  /**
   * Opens this node's spool and starts replaying what a previous run left. Undefined when another
   * instance holds this node's spool (arrivals then take the folder path).
   */
  static async open(deps: PipelineDeps, settings: SpoolSettings): Promise<Spool | undefined> {
    const node = deps.config.node.name;
    // The lock exists before the spool it reports to.
    const opened: { spool?: Spool } = {};
    const lock = await holdSpoolLock({
      db: deps.db, node, logger: deps.logger,
      events: {
        lost: () => { if (opened.spool !== undefined) opened.spool.#lockLost(); },
        regained: (holder) => { if (opened.spool !== undefined) opened.spool.#lockRegained(holder); },
      },
    });
    if (lock === undefined) {
      deps.logger.warn('another instance holds this node\'s spool: small arrivals take the slower folder path', { node });
      return undefined;
    }
    const dir = path.join(path.resolve(deps.config.dataRoot), 'spool', sanitizeSegment(node));
    const spool = new Spool(deps, settings, node, dir, lock);
    opened.spool = spool;
    try {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      for (const folder of [dir, path.dirname(dir), path.dirname(path.dirname(dir))]) await fsyncDirectory(folder);
      await spool.#recover(0);
    } catch (error) {
      await lock.release();
      throw error;
    }
    // Lost during that replay: the regain replays again and only then lets the spool be used.
    if (spool.#generation === 0) spool.#holder = lock.holder();
    if (!settings.accept) void spool.settled().then(() => spool.stop(0));
    return spool;
  }

  accepting(): boolean {
    return this.#settings.accept && !this.#stopped && this.lockHeld() && this.#waiting.length + this.backlog() < this.#settings.maxBacklog;
  }

  commit(record: SpoolRecord): Promise<AcceptResult> {
    if (this.#stopped) return Promise.reject(new IngestError('SHUTTING_DOWN', 'the service is shutting down'));
    return new Promise((resolve, reject) => {
      this.#waiting.push({ record, encoded: encodeSpoolRecord(record), resolve, reject });
      this.#startFlush();
    });
  }

  /** True while this instance holds its spool's lock and uses the spool (false from a loss until the replay after the regain). */
  lockHeld(): boolean {
    return this.#holder !== undefined && this.#lock.held();
  }

  /** The lock's state and history, for /metrics. */
  lockState(): { readonly held: boolean; readonly losses: number; readonly regains: number } {
    return { held: this.lockHeld(), losses: this.#lockLosses, regains: this.#lockRegains };
  }

  /** Arrivals acknowledged whose folders are not written yet (for tests and /metrics). */
  backlog(): number {
    return this.#drainQueue.length + this.#stuck.length;
  }

  /** Resolves true when every acknowledged arrival has its durable folder, false if `timeoutMs` passes first. */
  async settled(timeoutMs = Number.POSITIVE_INFINITY): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.#appending || this.#recording.size > 0 || this.#waiting.length > 0 || this.#draining !== undefined || this.#resuming !== undefined || (this.backlog() > 0 && !this.#halted)) {
      if (Date.now() >= deadline) return false;
      const busy = [...this.#recording, this.#draining, this.#resuming].filter((work) => work !== undefined);
      await Promise.race([...busy, delay(Math.min(20, Math.max(1, deadline - Date.now())))]);
    }
    return true;
  }

  /**
   * Stops taking arrivals, finishes the batches in flight and writes the folders still due (up
   * to `graceMs`); what is left stays in its segment and is replayed at the next start. The lock
   * is released only once nothing of this instance touches the spool any more.
   */
  stop(graceMs: number): Promise<void> {
    this.#stopping ??= this.#stop(graceMs);
    return this.#stopping;
  }

  async #stop(graceMs: number): Promise<void> {
    this.#stopped = true;
    // The SMTP listener has stopped first, so nothing should be waiting; anything that is was never acknowledged.
    for (const entry of this.#waiting.splice(0)) entry.reject(new IngestError('SHUTTING_DOWN', 'the service is shutting down'));
    if (this.#holder === undefined && this.#resuming === undefined) {
      // Nothing can be drained without the lock: no point in waiting out the grace.
      this.#deps.logger.warn('stopping without the spool lock: the next start (or the instance holding it) writes the folders still due', { backlog: this.backlog() });
    } else if (!(await this.settled(graceMs))) {
      this.#deps.logger.warn('stopping with arrivals still in the spool: the next start writes their folders', { backlog: this.backlog() });
    }
    this.#halted = true;
    await Promise.allSettled([...this.#recording, this.#draining, this.#resuming, this.#appended]);
    for (const segment of [...this.#segments]) {
      segment.closed = true;
      await this.#closeSegment(segment);
    }
    await this.#lock.release();
  }

  #startFlush(): void {
    if (this.#appending || this.#waiting.length === 0 || this.#recording.size >= MAX_INSERTS_IN_FLIGHT) return;
    const batch = takeBatch(this.#waiting);
    this.#waiting = this.#waiting.slice(batch.length);
    this.#appending = true;
    const appended = this.#append(batch);
    this.#appended = appended;
    void appended.then(({ items, holder }) => {
      this.#appending = false;
      const recording = this.#record(batch, items, holder).finally(() => {
        this.#recording.delete(recording);
        this.#startFlush();
      });
      this.#recording.add(recording);
      this.#startFlush();
    }, (error: unknown) => {
      this.#appending = false;
      for (const entry of batch) entry.reject(toIngestError(error));
      this.#startFlush();
    });
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
  async #record(batch: readonly Waiting[], items: readonly DrainItem[], holder: SpoolLockHolder): Promise<void> {
    let results: Array<{ job: AcceptResult['job']; duplicate: boolean }>;
    try {
      results = await this.#deps.db.transaction().execute(async (trx) => {
        if (!(await isSpoolLockHeldBy(trx, { node: this.#node, session: holder }))) throw new IngestError('SPOOL_LOCK_LOST', 'this instance no longer holds its spool');
        return insertStagingRows({ ...this.#deps, db: trx }, batch.map((entry, index) => ({
          manifest: entry.record.manifest,
          extra: { spool: { segment: (items[index] as DrainItem).segment.name, offset: (items[index] as DrainItem).offset } },
        })));
      });
    } catch (error) {
      // The rows may have committed even so (a connection lost after COMMIT). Whatever happened,
      // the drain makes each record's job exist exactly once, by staging id and idempotency key:
      // the sender, answered 4xx, retries and finds it as a duplicate.
      this.#queueDrain(items.map((item) => ({ ...item, recovered: true })));
      for (const entry of batch) entry.reject(toIngestError(error));
      return;
    }
    const toDrain: DrainItem[] = [];
    for (const [index, entry] of batch.entries()) {
      const result = results[index] as { job: AcceptResult['job']; duplicate: boolean };
      const item = items[index] as DrainItem;
      if (!result.duplicate) {
        toDrain.push(item);
        entry.resolve(result);
        continue;
      }
      this.#settle(item.segment);
      if (result.job.status === 'staging' && !isSpooled(result.job)) {
        entry.reject(new IngestError('ARRIVAL_IN_PROGRESS', 'the same arrival is being stored right now; try again shortly'));
      } else {
        entry.resolve(result);
      }
    }
    this.#queueDrain(toDrain);
  }

  /** Appends a batch to the current segment and makes it durable: one write loop, one fdatasync. Also says under which lock session. */
  async #append(batch: readonly Waiting[]): Promise<{ items: DrainItem[]; holder: SpoolLockHolder }> {
    const holder = this.#holder;
    if (holder === undefined || !this.#lock.held()) throw new IngestError('SPOOL_LOCK_LOST', 'this instance no longer holds its spool');
    const total = batch.reduce((sum, entry) => sum + entry.encoded.byteLength, 0);
    const segment = await this.#segmentFor(total, this.#generation);
    const handle = segment.handle as FileHandle;
    const start = segment.size;
    try {
      let written = 0;
      const buffers = batch.map((entry) => entry.encoded);
      while (written < total) {
        const { bytesWritten } = await handle.writev(remaining(buffers, written));
        if (bytesWritten === 0) throw new IngestError('STORAGE_LOW', 'the disk accepted no more bytes');
        written += bytesWritten;
      }
      await handle.datasync();
    } catch (error) {
      // A partial write would hide every later record of this segment from a replay: start a
      // new segment for the next batch. These arrivals were not acknowledged.
      segment.closed = true;
      await this.#closeSegment(segment);
      throw error instanceof IngestError ? error : new IngestError('SPOOL_WRITE_FAILED', `could not append to the spool: ${(error as Error).message}`, { cause: error });
    }
    segment.size = start + total;
    segment.pending += batch.length;
    let offset = start;
    const items = batch.map((entry) => {
      const item = { segment, offset, length: entry.encoded.byteLength, stagingId: entry.record.manifest.stagingId, recovered: false };
      offset += entry.encoded.byteLength;
      return item;
    });
    return { items, holder };
  }

  async #segmentFor(bytes: number, generation: number): Promise<Segment> {
    const current = this.#current;
    if (current !== undefined && !current.closed && current.size + bytes <= SEGMENT_BYTES) return current;
    if (current !== undefined) {
      current.closed = true;
      await this.#closeSegment(current);
    }
    const name = `${Date.now().toString().padStart(14, '0')}-${randomUUID()}${SEGMENT_SUFFIX}`;
    const file = path.join(this.#dir, name);
    const handle = await open(file, 'wx', 0o600);
    // The new segment's name must survive a crash too, or its records would be lost with it.
    await fsyncDirectory(this.#dir);
    const segment: Segment = { name, file, handle, size: 0, pending: 0, closed: false, damaged: false, generation };
    this.#segments.add(segment);
    this.#current = segment;
    return segment;
  }

  /** Closes a closed segment's file, and deletes it once none of its records is pending (and the lock was not lost since). */
  async #closeSegment(segment: Segment): Promise<void> {
    if (!segment.closed) return;
    const handle = segment.handle;
    segment.handle = undefined;
    await handle?.close().catch(() => undefined);
    if (segment.pending === 0 && !segment.damaged && segment.generation === this.#generation) {
      this.#segments.delete(segment);
      if (this.#current === segment) this.#current = undefined;
      await unlink(segment.file).catch(() => undefined);
    }
  }

  /** One record of `segment` needs nothing more (folder durable, or no job for it). */
  #settle(segment: Segment): void {
    segment.pending -= 1;
    if (segment.pending === 0 && segment.closed) void this.#closeSegment(segment);
  }

  #queueDrain(items: readonly DrainItem[]): void {
    // Records of before a lost lock are not drained from memory: the replay after the regain reads them from disk.
    const current = items.filter((item) => item.segment.generation === this.#generation);
    if (current.length === 0) return;
    this.#drainQueue.push(...current);
    if (this.#draining === undefined) this.#draining = this.#drain(this.#generation).finally(() => { this.#draining = undefined; });
  }

  async #drain(generation: number): Promise<void> {
    /** After a batch failed: how many of its records are still to be tried one by one, to find the bad one. */
    let isolating = 0;
    while (this.backlog() > 0 && !this.#halted) {
      // The lock was lost: stop touching the spool (another instance may replay it now). After
      // every await below, too: the queues may have been replaced by the replay after a regain.
      if (generation !== this.#generation) return;
      const due = this.#stuck.find((entry) => entry.retryAt <= Date.now());
      if (due !== undefined) {
        await this.#retryStuck(due, generation);
        continue;
      }
      if (this.#drainQueue.length === 0) {
        // Only stuck records are left: wait for the next one's turn, a second at a time so a stop is seen.
        await delay(Math.min(1000, Math.max(1, Math.min(...this.#stuck.map((entry) => entry.retryAt)) - Date.now())));
        continue;
      }
      const batchSize = isolating > 0 ? 1 : DRAIN_BATCH_RECORDS;
      // A moment's wait lets a burst gather, so one syncfs covers many folders.
      if (isolating === 0 && this.#drainQueue.length < batchSize && !this.#stopped) await delay(DRAIN_GATHER_MS);
      if (generation !== this.#generation) return;
      const batch = this.#drainQueue.slice(0, batchSize);
      try {
        await this.#drainBatch(batch);
        if (generation !== this.#generation) return;
        this.#drainQueue.splice(0, batch.length);
        isolating = Math.max(0, isolating - 1);
      } catch (error) {
        if (generation !== this.#generation) return;
        if (batch.length > 1) {
          this.#deps.logger.warn('writing spooled arrivals into their folders failed; trying them one by one', { error: String(error), records: batch.length });
          isolating = batch.length;
          continue;
        }
        isolating = Math.max(0, isolating - 1);
        const [item] = this.#drainQueue.splice(0, 1);
        if (item !== undefined) this.#stuck.push({ item, failures: 1, retryAt: Date.now() + DRAIN_RETRY_MS });
        this.#deps.logger.warn('a spooled arrival\'s folder could not be written; the others go on, it is retried', { error: String(error), stagingId: item?.stagingId, failures: 1 });
      }
    }
  }

  /** Tries a stuck record again, alone; on failure its pause doubles (up to a minute). */
  async #retryStuck(entry: { readonly item: DrainItem; failures: number; retryAt: number }, generation: number): Promise<void> {
    try {
      await this.#drainBatch([entry.item]);
      if (generation === this.#generation) this.#stuck.splice(this.#stuck.indexOf(entry), 1);
    } catch (error) {
      if (generation !== this.#generation) return;
      entry.failures += 1;
      entry.retryAt = Date.now() + Math.min(DRAIN_RETRY_MS * 2 ** (entry.failures - 1), 60_000);
      this.#deps.logger[entry.failures >= 5 ? 'error' : 'warn']('a spooled arrival\'s folder still cannot be written; retrying later', { error: String(error), stagingId: entry.item.stagingId, failures: entry.failures });
    }
  }

  /**
   * Gives a batch of acknowledged records their job folders: writes them, one syncfs for all,
   * then one UPDATE to `queued` (or `unclassified`), then lets go of the records.
   */
  async #drainBatch(batch: readonly DrainItem[]): Promise<void> {
    const segments = new SegmentReader();
    try {
      await this.#drainBatchWith(batch, segments);
    } finally {
      segments.close();
    }
  }

  async #drainBatchWith(batch: readonly DrainItem[], segments: SegmentReader): Promise<void> {
    const { db, config, logger } = this.#deps;
    const rows = await findJobsByStagingIds(db, batch.map((item) => item.stagingId));
    const due: Array<{ item: DrainItem; relativePath: string; jobId: string }> = [];
    const settled: DrainItem[] = [];
    const orphans: DrainItem[] = [];
    for (const item of batch) {
      const row = rows.get(item.stagingId);
      if (row === undefined) (item.recovered ? orphans : settled).push(item);
      else if (row.status === 'staging') due.push({ item, relativePath: row.relative_path, jobId: row.id });
      else settled.push(item);
    }
    if (orphans.length > 0) due.push(...await this.#recordOrphans(orphans, settled, segments));

    const written: string[] = [];
    const finished: Array<{ jobId: string; status: 'queued' | 'unclassified'; data: Record<string, unknown> }> = [];
    const damaged: DrainItem[] = [];
    const inboxRoot = areaPath(config.dataRoot, 'inbox', '');
    await forEachLimited(due, DRAIN_PARALLEL_WRITES, async ({ item, relativePath, jobId }) => {
      const record = segments.read(item);
      if (record === undefined) {
        damaged.push(item);
        return;
      }
      const paths = await writeSpooledFolder({ dataRoot: config.dataRoot, relativePath, record });
      written.push(...paths, ...ancestorsUpTo(paths[paths.length - 1] as string, inboxRoot));
      finished.push({
        jobId,
        status: record.manifest.classified ? 'queued' : 'unclassified',
        data: { path: `inbox/${relativePath}`, files: record.manifest.files.length, bytes: record.manifest.files.reduce((sum, file) => sum + file.size, 0) },
      });
    });
    if (finished.length > 0) {
      await syncFileSystem(inboxRoot, () => written);
      const jobs = await finishStagingMany(db, finished, 'received; its folder written from the spool');
      if (jobs.some((job) => job.status === 'queued')) this.#deps.onJobQueued?.();
      logger.debug('spooled arrivals written to their folders', { jobs: jobs.length });
    }
    for (const item of damaged) {
      // An fdatasynced record that no longer reads back is a disk fault: keep its segment and its
      // staging row for a person; nothing is deleted.
      item.segment.damaged = true;
      logger.error('a spooled arrival cannot be read back; its segment is kept', { segment: item.segment.file, offset: item.offset, stagingId: item.stagingId });
    }
    for (const item of [...settled, ...due.map((entry) => entry.item)]) {
      if (!damaged.includes(item)) this.#settle(item.segment);
    }
  }

  /** Records replayed from a segment whose rows never committed: their jobs are made now. */
  async #recordOrphans(orphans: readonly DrainItem[], settled: DrainItem[], segments: SegmentReader): Promise<Array<{ item: DrainItem; relativePath: string; jobId: string }>> {
    const manifests: Array<{ item: DrainItem; manifest: StagedManifest }> = [];
    for (const item of orphans) {
      const record = segments.read(item);
      if (record === undefined) settled.push(item);
      else manifests.push({ item, manifest: record.manifest });
    }
    const results = await insertStagingRows(this.#deps, manifests.map(({ item, manifest }) => ({ manifest, extra: { spool: { segment: item.segment.name, offset: item.offset } } })));
    const due: Array<{ item: DrainItem; relativePath: string; jobId: string }> = [];
    for (const [index, { item }] of manifests.entries()) {
      const result = results[index] as { job: AcceptResult['job']; duplicate: boolean };
      // A duplicate of itself is a row that did commit after all (it was looked up too early): due.
      const own = result.job.staging_id === item.stagingId && result.job.status === 'staging';
      if (result.duplicate && !own) settled.push(item);
      else due.push({ item, relativePath: result.job.relative_path, jobId: result.job.id });
    }
    if (due.length > 0) this.#deps.logger.info('recorded spooled arrivals whose jobs were not committed before a crash', { jobs: due.length });
    return due;
  }

  /** Queues every record of the segments on disk (left by a previous run, or by this one before the lock was lost). */
  async #recover(generation: number): Promise<number> {
    const names = (await readdir(this.#dir)).filter((name) => name.endsWith(SEGMENT_SUFFIX)).sort();
    const items: DrainItem[] = [];
    for (const name of names) {
      const segment: Segment = { name, file: path.join(this.#dir, name), handle: undefined, size: 0, pending: 0, closed: true, damaged: false, generation };
      this.#segments.add(segment);
      let end = 0;
      for await (const record of readSpoolSegment(segment.file)) {
        items.push({ segment, offset: record.offset, length: record.length, stagingId: record.manifest.stagingId, recovered: true });
        segment.pending += 1;
        end = record.offset + record.length;
      }
      // Unreadable bytes after the last whole record are normally a batch torn by the crash, never
      // acknowledged. If a committed job points there, they are damage: keep the segment.
      if (end < (await stat(segment.file)).size && (await countSpooledStagingJobs(this.#deps.db, { segment: name, fromOffset: end })) > 0) {
        segment.damaged = true;
        this.#deps.logger.error('a spool segment is damaged: acknowledged arrivals in it cannot be read; it is kept for inspection', { segment: segment.file, readableBytes: end });
      }
      if (segment.pending === 0) await this.#closeSegment(segment);
    }
    if (generation !== this.#generation) return 0;
    if (items.length > 0) this.#deps.logger.info('replaying the spool', { segments: names.length, records: items.length, afterLockLoss: generation > 0 });
    this.#queueDrain(items);
    return items.length;
  }

  #lockLost(): void {
    this.#generation += 1;
    this.#holder = undefined;
    this.#lockLosses += 1;
  }

  #lockRegained(holder: SpoolLockHolder): void {
    const previous = this.#resuming;
    const resuming: Promise<void> = (async () => {
      await previous;
      await this.#resume(holder);
    })().finally(() => {
      if (this.#resuming === resuming) this.#resuming = undefined;
    });
    this.#resuming = resuming;
  }

  /**
   * Makes the spool usable again under a regained lock. Nothing in memory is trusted: another
   * instance with the same node name may have held the lock meanwhile, replayed these segments,
   * written their folders and deleted them. So the work of before the loss ends first (the drain
   * stops at its next step, an append in flight finishes and is refused by the pipeline), then
   * everything is forgotten and the spool is replayed from its files, as at a start.
   */
  async #resume(holder: SpoolLockHolder): Promise<void> {
    const generation = this.#generation;
    await Promise.allSettled([this.#draining, this.#appended]);
    while (generation === this.#generation && !this.#stopped) {
      try {
        await this.#forget();
        const records = await this.#recover(generation);
        if (generation !== this.#generation || this.#stopped) return;
        this.#holder = holder;
        this.#lockRegains += 1;
        this.#deps.logger.info('the spool is in use again', { replayedRecords: records });
        return;
      } catch (error) {
        this.#deps.logger.warn('replaying the spool after the lock was taken again failed; trying again', { error: String(error) });
        await delay(RESUME_RETRY_MS);
      }
    }
  }

  /** Drops every segment and record this instance knew of (their files stay). */
  async #forget(): Promise<void> {
    const segments = [...this.#segments];
    this.#segments.clear();
    this.#current = undefined;
    this.#drainQueue.length = 0;
    this.#stuck.length = 0;
    for (const segment of segments) {
      const handle = segment.handle;
      segment.handle = undefined;
      await handle?.close().catch(() => undefined);
    }
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

/** The buffers left after `skip` bytes were written (writev may write part of them). */
function remaining(buffers: readonly Buffer[], skip: number): Buffer[] {
  const rest: Buffer[] = [];
  let offset = skip;
  for (const buffer of buffers) {
    if (offset >= buffer.byteLength) {
      offset -= buffer.byteLength;
      continue;
    }
    rest.push(offset === 0 ? buffer : buffer.subarray(offset));
    offset = 0;
  }
  return rest;
}

/** Runs `work` on every item, `limit` at a time; after a failure it starts no more and rethrows once all running ones ended. */
async function forEachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  const results = await Promise.allSettled(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length && !failed) {
      try {
        await work(items[next++] as T);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  }));
  const failure = results.find((result) => result.status === 'rejected');
  if (failure !== undefined) throw failure.reason;
}

/** Reads records of a drain batch, opening each segment once. */
class SegmentReader {
  readonly #descriptors = new Map<Segment, number>();

  read(item: DrainItem): SpoolRecord | undefined {
    let descriptor = this.#descriptors.get(item.segment);
    if (descriptor === undefined) {
      descriptor = openSync(item.segment.file, 'r');
      this.#descriptors.set(item.segment, descriptor);
    }
    return readSpoolRecordAt(descriptor, item.offset, item.length);
  }

  close(): void {
    for (const descriptor of this.#descriptors.values()) closeSync(descriptor);
    this.#descriptors.clear();
  }
}
