import { request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Ledger, UploadItem } from './ledger.js';
import { retryDelayMs } from './mail-load.js';

const RESPONSE_TIMEOUT_MS = 120_000;
const IDLE_POLL_MS = 100;
/** Answers that say the request itself is wrong (a harness bug): retrying would not help. */
const PERMANENT = new Set([400, 401, 403, 404, 413, 415, 422]);

export interface UploadLoadArgs {
  readonly ledger: Ledger;
  readonly httpUrl: string;
  readonly apiKey: string;
  readonly customer: string;
  readonly group: string;
  /** The export sent each time (a small real Veritas2Hview .tar.gz). */
  readonly body: Buffer;
  readonly loops: number;
  readonly pauseMs: number;
  /** A new token for each new upload (8–64 of A–Z a–z 0–9 _ -). */
  newToken(): string;
}

/**
 * Uploads the export again and again over HTTP (`POST /api/1.0/uploads/hydrastor/veritas2hview`),
 * each with its own `Idempotency-Key` and `Upload-Id` (the token), retrying one not answered
 * 202 with the same key, as a careful client would. The job id of each 202 goes to the ledger.
 */
export class UploadLoad {
  readonly #args: UploadLoadArgs;
  readonly #retries: UploadItem[] = [];
  #newUploads = true;
  #running = false;
  #loops: Promise<void>[] = [];
  #inFlight = 0;

  constructor(args: UploadLoadArgs) {
    this.#args = args;
  }

  start(): void {
    this.#running = true;
    this.#loops = Array.from({ length: this.#args.loops }, () => this.#loop());
  }

  finishing(): void {
    this.#newUploads = false;
  }

  async stop(): Promise<void> {
    this.#running = false;
    await Promise.all(this.#loops);
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  #take(): UploadItem | undefined {
    const now = this.#args.ledger.now();
    const due = this.#retries.findIndex((item) => item.retryAt <= now);
    if (due >= 0) return this.#retries.splice(due, 1)[0];
    return this.#newUploads ? this.#args.ledger.addUpload(this.#args.newToken()) : undefined;
  }

  async #loop(): Promise<void> {
    while (this.#running) {
      const item = this.#take();
      if (item === undefined) {
        await sleep(IDLE_POLL_MS);
        continue;
      }
      await this.#upload(item);
      await sleep(this.#args.pauseMs);
    }
  }

  async #upload(item: UploadItem): Promise<void> {
    const { ledger } = this.#args;
    item.attempts += 1;
    this.#inFlight += 1;
    const sentAt = performance.now();
    try {
      const response = await this.#post(item.token);
      ledger.latency('upload', performance.now() - sentAt);
      ledger.count('upload', String(response.status));
      if (response.status === 202) {
        const jobId = (JSON.parse(response.body) as { job?: { id?: string } }).job?.id;
        if (jobId === undefined) throw new Error(`202 without a job id: ${response.body}`);
        ledger.acknowledge(item, jobId);
      } else if (PERMANENT.has(response.status)) {
        item.refused = `${response.status} ${response.body.slice(0, 200)}`;
      } else {
        this.#retryLater(item);
      }
    } catch (error) {
      // No complete answer: not acknowledged; retried with the same Idempotency-Key.
      ledger.count('upload', error instanceof SyntaxError || (error as Error).message.startsWith('202') ? 'bad-202' : 'conn-lost');
      this.#retryLater(item);
    } finally {
      this.#inFlight -= 1;
    }
  }

  #retryLater(item: UploadItem): void {
    item.retryAt = this.#args.ledger.now() + retryDelayMs(item.attempts);
    this.#retries.push(item);
  }

  #post(token: string): Promise<{ status: number; body: string }> {
    const args = this.#args;
    const url = new URL(
      `/api/1.0/uploads/hydrastor/veritas2hview?customer=${encodeURIComponent(args.customer)}&group=${encodeURIComponent(args.group)}`,
      args.httpUrl,
    );
    return new Promise((resolve, reject) => {
      // A fresh connection each time (agent: false): a kept-alive socket to a killed process
      // would only add noise.
      const outgoing = request(
        url,
        {
          method: 'POST',
          agent: false,
          timeout: RESPONSE_TIMEOUT_MS,
          headers: {
            'X-Api-Key': args.apiKey,
            'Content-Type': 'application/octet-stream',
            'Content-Length': String(args.body.length),
            'Idempotency-Key': token,
            'Upload-Id': token,
            'X-File-Name': `${token}.tar.gz`,
          },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('error', reject);
          response.on('aborted', () => reject(new Error('response aborted')));
          // Only a complete response counts: `end` fires after the whole body was read.
          response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        },
      );
      outgoing.on('timeout', () => outgoing.destroy(new Error('response timeout')));
      outgoing.on('error', reject);
      outgoing.end(args.body);
    });
  }
}
