/**
 * What the clients were told, item by item: the identity ledger the database is checked against
 * at the end. An item is acknowledged only when the service's positive answer (SMTP 250 to the
 * final dot, HTTP 202) was read in full; a connection that broke before it, whatever the service
 * did, is not. Items not acknowledged are retried, as an MTA or a careful uploader would.
 */

export interface MailItem {
  readonly kind: 'mail';
  /** The Message-ID without angle brackets: the identity looked up in the database. */
  readonly token: string;
  readonly text: string;
  attempts: number;
  /** ms since the run started, when the 250 was read. */
  ackedAt: number | null;
  /** A 5xx: the sender would bounce it for good and never retry. */
  refused: string | null;
  /** Not before this time (ms since start) is it tried again. */
  retryAt: number;
}

export interface UploadItem {
  readonly kind: 'upload';
  /** Sent as Upload-Id and Idempotency-Key, so a retry of the same upload is the same request. */
  readonly token: string;
  attempts: number;
  ackedAt: number | null;
  jobId: string | null;
  refused: string | null;
  retryAt: number;
}

/** A reply or a failure, counted per phase: `250`, `452`, `202`, `503`, `conn` (connection lost before an answer) … */
export type Outcome = string;

export class Ledger {
  readonly mails = new Map<string, MailItem>();
  readonly uploads = new Map<string, UploadItem>();
  readonly #started = performance.now();
  /** Acknowledgement times (ms since start), in order, per kind. */
  readonly #acks: Record<'mail' | 'upload', number[]> = { mail: [], upload: [] };
  #phase = 'start';
  readonly outcomes: Record<string, Record<string, Record<Outcome, number>>> = {};
  /** The longest wait for an answer (final dot → reply, request → response), ms, per phase and kind. */
  readonly slowest: Record<string, Record<string, number>> = {};

  now(): number {
    return performance.now() - this.#started;
  }

  get phase(): string {
    return this.#phase;
  }

  set phase(name: string) {
    this.#phase = name;
  }

  addMail(token: string, text: string): MailItem {
    if (this.mails.has(token)) throw new Error(`the harness made the Message-ID ${token} twice`);
    const item: MailItem = { kind: 'mail', token, text, attempts: 0, ackedAt: null, refused: null, retryAt: 0 };
    this.mails.set(token, item);
    return item;
  }

  addUpload(token: string): UploadItem {
    const item: UploadItem = { kind: 'upload', token, attempts: 0, ackedAt: null, jobId: null, refused: null, retryAt: 0 };
    this.uploads.set(token, item);
    return item;
  }

  /** Counts what one attempt ended with, under the current phase. */
  count(kind: 'mail' | 'upload', outcome: Outcome): void {
    const phase = (this.outcomes[this.#phase] ??= {});
    const byOutcome = (phase[kind] ??= {});
    byOutcome[outcome] = (byOutcome[outcome] ?? 0) + 1;
  }

  /** Remembers how long one answer took, for the slowest-answer column. */
  latency(kind: 'mail' | 'upload', ms: number): void {
    const phase = (this.slowest[this.#phase] ??= {});
    phase[kind] = Math.max(phase[kind] ?? 0, Math.round(ms));
  }

  acknowledge(item: MailItem | UploadItem, jobId?: string): void {
    // The first acknowledgement is the one that counts; a retry's duplicate 250 changes nothing.
    if (item.ackedAt === null) {
      item.ackedAt = this.now();
      this.#acks[item.kind].push(item.ackedAt);
    }
    if (item.kind === 'upload' && jobId !== undefined) item.jobId ??= jobId;
  }

  /** The first acknowledgement of `kind` at or after `at` (ms since start), or null. */
  firstAckAfter(kind: 'mail' | 'upload', at: number): number | null {
    return this.#acks[kind].find((time) => time >= at) ?? null;
  }

  acked(kind: 'mail' | 'upload'): number {
    return this.#acks[kind].length;
  }

  /** Items still owed a retry (not acknowledged, not refused for good). */
  pending(kind: 'mail' | 'upload'): number {
    let count = 0;
    for (const item of (kind === 'mail' ? this.mails : this.uploads).values()) if (item.ackedAt === null && item.refused === null) count += 1;
    return count;
  }
}
