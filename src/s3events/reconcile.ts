import { ListObjectsV2Command, type _Object } from '@aws-sdk/client-s3';
import { toIngestError } from '../core/ingest-error.js';
import { routeObject } from './route-object.js';
import { startObjectJob, type ObjectJobDeps } from './start-object-job.js';

export interface ReconcileSettings {
  /** Objects modified longer ago than this are left alone. */
  readonly lookbackHours: number;
  /** Objects younger than this are left to their notification. */
  readonly settleSeconds: number;
}

export interface ReconcileReport {
  readonly listed: number;
  /** Already read by a job at their current ETag. */
  readonly seen: number;
  /** Outside the time window, folder placeholders, or keys that do not route. */
  readonly skipped: number;
  readonly started: number;
  /** A job existed under the object's idempotency key (its notification won the race). */
  readonly duplicates: number;
  /** Recorded as failed jobs (too large) or skipped as overwritten. */
  readonly unfetchable: number;
  readonly errors: number;
}

/** ListObjectsV2 returns at most 1,000 keys per page. */
const LIST_PAGE_SIZE = 1000;
const HOUR_MS = 3_600_000;

/**
 * One pass over every configured bucket prefix: objects in the time window that no job has read
 * at their current ETag get a job (source `reconcile`), so a dropped notification costs a delay,
 * not the upload. Each object is HEADed first to learn its version id, so a job started here and
 * one started by the object's notification share one idempotency key. Errors are counted and
 * logged per object; the pass goes on.
 */
export async function reconcileOnce(
  deps: ObjectJobDeps,
  settings: ReconcileSettings & { readonly now?: Date; readonly signal?: AbortSignal },
): Promise<ReconcileReport> {
  const now = (settings.now ?? new Date()).getTime();
  const oldest = now - settings.lookbackHours * HOUR_MS;
  const newest = now - settings.settleSeconds * 1000;
  const counts = { listed: 0, seen: 0, skipped: 0, started: 0, duplicates: 0, unfetchable: 0, errors: 0 };

  const s3 = await deps.s3();
  for (const { bucket, prefix } of listTargets(deps)) {
    let continuationToken: string | undefined;
    do {
      if (settings.signal?.aborted === true) return counts;
      const page = await s3.send(
        new ListObjectsV2Command({
          Bucket: bucket,
          MaxKeys: LIST_PAGE_SIZE,
          ...(prefix === '' ? {} : { Prefix: `${prefix}/` }),
          ...(continuationToken === undefined ? {} : { ContinuationToken: continuationToken }),
        }),
        settings.signal === undefined ? {} : { abortSignal: settings.signal },
      );
      continuationToken = page.IsTruncated === true ? page.NextContinuationToken : undefined;
      const objects = page.Contents ?? [];
      counts.listed += objects.length;
      const candidates = objects.filter((object): object is _Object & { Key: string } => {
        const modified = object.LastModified?.getTime();
        const inWindow = modified !== undefined && modified >= oldest && modified <= newest;
        return object.Key !== undefined && inWindow && routes(deps, bucket, object.Key);
      });
      counts.skipped += objects.length - candidates.length;
      const seen = await deps.objects.readETags({ bucket, keys: candidates.map((object) => object.Key) });
      for (const object of candidates) {
        const eTag = object.ETag?.replace(/^"(.*)"$/, '$1');
        if (seen.has(object.Key) && seen.get(object.Key) === eTag) {
          counts.seen += 1;
          continue;
        }
        await startFor(deps, { bucket, key: object.Key, counts, ...(settings.signal === undefined ? {} : { signal: settings.signal }) });
      }
    } while (continuationToken !== undefined);
  }
  return counts;
}

async function startFor(
  deps: ObjectJobDeps,
  args: {
    readonly bucket: string;
    readonly key: string;
    readonly counts: { started: number; duplicates: number; unfetchable: number; errors: number };
    readonly signal?: AbortSignal;
  },
): Promise<void> {
  const { bucket, key, counts } = args;
  try {
    const outcome = await startObjectJob(deps, {
      source: 'reconcile',
      bucket,
      key,
      lookUpVersion: true,
      mode: 'background',
      ...(args.signal === undefined ? {} : { signal: args.signal }),
    });
    if (outcome.kind === 'created') {
      counts.started += 1;
      deps.logger.info('reconciler started a job for an object no notification announced', { bucket, key, jobId: outcome.job.id });
    } else if (outcome.kind === 'duplicate') {
      counts.duplicates += 1;
    } else {
      counts.unfetchable += 1;
    }
  } catch (error) {
    counts.errors += 1;
    const ingestError = toIngestError(error);
    deps.logger.warn('reconciler could not start a job; next pass tries again', { bucket, key, code: ingestError.code, error: ingestError.message });
  }
}

/** Each bucket once at its root when a route takes the whole bucket, else once per prefix. */
function listTargets(deps: ObjectJobDeps): Array<{ bucket: string; prefix: string }> {
  const targets = new Map<string, Set<string>>();
  for (const route of deps.routes) {
    const prefixes = targets.get(route.bucket) ?? new Set<string>();
    prefixes.add((route.prefix ?? '').replace(/^\/+|\/+$/g, ''));
    targets.set(route.bucket, prefixes);
  }
  return [...targets].flatMap(([bucket, prefixes]) => (prefixes.has('') ? [{ bucket, prefix: '' }] : [...prefixes].map((prefix) => ({ bucket, prefix }))));
}

function routes(deps: ObjectJobDeps, bucket: string, key: string): boolean {
  try {
    routeObject({ bucket, key, routes: deps.routes });
    return !key.endsWith('/');
  } catch {
    return false;
  }
}

/** Runs `reconcileOnce` now and then every `intervalSeconds` (never two passes at once). */
export class Reconciler {
  readonly #deps: ObjectJobDeps;
  readonly #settings: ReconcileSettings;
  readonly #intervalMs: number;
  readonly #abort = new AbortController();
  #timer: NodeJS.Timeout | undefined;
  #pass: Promise<void> | undefined;

  constructor(args: { readonly deps: ObjectJobDeps; readonly settings: ReconcileSettings; readonly intervalSeconds: number }) {
    this.#deps = args.deps;
    this.#settings = args.settings;
    this.#intervalMs = args.intervalSeconds * 1000;
  }

  start(): void {
    this.#schedule(0);
  }

  /** Stops the timer and aborts a pass in progress (its objects are picked up by the next start). */
  async stop(): Promise<void> {
    this.#abort.abort();
    clearTimeout(this.#timer);
    await this.#pass;
  }

  #schedule(delayMs: number): void {
    if (this.#abort.signal.aborted) return;
    this.#timer = setTimeout(() => {
      this.#pass = this.#runPass().finally(() => {
        this.#pass = undefined;
        this.#schedule(this.#intervalMs);
      });
    }, delayMs);
  }

  async #runPass(): Promise<void> {
    const { logger } = this.#deps;
    try {
      const report = await reconcileOnce(this.#deps, { ...this.#settings, signal: this.#abort.signal });
      const level = report.started > 0 || report.errors > 0 ? 'info' : 'debug';
      logger.log(level, 'reconcile pass done', { ...report });
    } catch (error) {
      if (this.#abort.signal.aborted) return;
      logger.warn('reconcile pass failed; the next one tries again', { error: String(error) });
    }
  }
}
