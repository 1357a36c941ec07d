import { conflict } from '../http-error.js';

/** `receiving` bytes → `storing` (fsync, job commit) → `stored` (the job exists) or `failed` (nothing kept). */
export type UploadState = 'receiving' | 'storing' | 'stored' | 'failed';

export interface UploadProgress {
  readonly uploadId: string;
  readonly customer: string;
  readonly category: string;
  readonly type: string;
  readonly group: string | null;
  readonly fileName: string | null;
  readonly state: UploadState;
  /** Bytes of the file received and written so far. */
  readonly bytesReceived: number;
  /** The request's Content-Length, when it sent one (a multipart body's is a little larger than the file). */
  readonly expectedBytes: number | null;
  readonly startedAt: Date;
  readonly updatedAt: Date;
  readonly jobId: string | null;
  readonly duplicate: boolean;
  readonly error: { readonly code: string; readonly message: string } | null;
}

export interface BeginUploadArgs {
  readonly uploadId: string;
  readonly customer: string;
  readonly category: string;
  readonly type: string;
  readonly group: string | null;
  readonly fileName: string | null;
  readonly expectedBytes: number | null;
}

/** What the upload route reports while it streams; each call is a field update, cheap per chunk. */
export interface UploadTracker {
  received(bytes: number): void;
  storing(): void;
  stored(args: { readonly jobId: string; readonly duplicate: boolean }): void;
  failed(error: { readonly code: string; readonly message: string }): void;
}

/** A finished upload stays visible this long, so a poller sees how it ended (then follows jobId). */
export const FINISHED_UPLOAD_RETENTION_MS = 10 * 60 * 1000;
/** Bounds memory; only finished entries are ever dropped to stay under it. */
const MAX_TRACKED_UPLOADS = 10_000;

type Entry = { -readonly [K in keyof UploadProgress]: UploadProgress[K] };

/**
 * Uploads in flight on this process, for `GET /api/1.0/uploads[/:uploadId]`. An `Upload-Id` is
 * the client's name, so it is scoped to the customer: two customers may use the same id, and one
 * can neither take over nor even detect the other's. In memory on
 * purpose: an upload has no job until its bytes are durable (a job row for bytes not yet in would
 * be a job nothing may run, and one to delete when the client goes away), and the bytes stream
 * into this process anyway. Behind a load balancer, ask the instance that takes the upload.
 */
export class UploadProgressRegistry {
  readonly #entries = new Map<string, Entry>();
  readonly #now: () => number;

  constructor(args: { readonly now?: () => number } = {}) {
    this.#now = args.now ?? Date.now;
  }

  /** Starts tracking; an id the same customer has still receiving or storing is a 409 (a client re-used its Upload-Id). */
  begin(args: BeginUploadArgs): UploadTracker {
    this.#prune();
    const key = entryKey(args.customer, args.uploadId);
    const current = this.#entries.get(key);
    if (current !== undefined && !isFinished(current)) throw conflict(`Upload-Id ${JSON.stringify(args.uploadId)} is already in use by an upload in progress`);
    const at = new Date(this.#now());
    const entry: Entry = {
      ...args,
      state: 'receiving',
      bytesReceived: 0,
      startedAt: at,
      updatedAt: at,
      jobId: null,
      duplicate: false,
      error: null,
    };
    // Re-inserted so the map's order stays oldest-first for pruning.
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    const touch = (): void => {
      entry.updatedAt = new Date(this.#now());
    };
    return {
      received: (bytes) => {
        entry.bytesReceived = bytes;
        touch();
      },
      storing: () => {
        entry.state = 'storing';
        touch();
      },
      stored: ({ jobId, duplicate }) => {
        Object.assign(entry, { state: 'stored', jobId, duplicate });
        touch();
      },
      failed: (error) => {
        if (isFinished(entry)) return;
        Object.assign(entry, { state: 'failed', error: { code: error.code, message: error.message } });
        touch();
      },
    };
  }

  /**
   * The upload `customer` knows as `uploadId`; `customer` null (an admin key) finds the newest
   * upload of that id, whichever customer it belongs to.
   */
  find(uploadId: string, customer: string | null): UploadProgress | undefined {
    this.#prune();
    if (customer !== null) {
      const entry = this.#entries.get(entryKey(customer, uploadId));
      return entry === undefined ? undefined : { ...entry };
    }
    const newest = [...this.#entries.values()].reverse().find((entry) => entry.uploadId === uploadId);
    return newest === undefined ? undefined : { ...newest };
  }

  /** Newest first. */
  list(): UploadProgress[] {
    this.#prune();
    return [...this.#entries.values()].reverse().map((entry) => ({ ...entry }));
  }

  #prune(): void {
    const expiredBefore = this.#now() - FINISHED_UPLOAD_RETENTION_MS;
    for (const [id, entry] of this.#entries) {
      if (isFinished(entry) && entry.updatedAt.getTime() < expiredBefore) this.#entries.delete(id);
    }
    if (this.#entries.size < MAX_TRACKED_UPLOADS) return;
    for (const [id, entry] of this.#entries) {
      if (this.#entries.size < MAX_TRACKED_UPLOADS) break;
      if (isFinished(entry)) this.#entries.delete(id);
    }
  }
}

/** Customer slugs cannot contain NUL, so the pair never collides with another. */
function entryKey(customer: string, uploadId: string): string {
  return `${customer}\u0000${uploadId}`;
}

function isFinished(entry: UploadProgress): boolean {
  return entry.state === 'stored' || entry.state === 'failed';
}
