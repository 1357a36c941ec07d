/**
 * What counts as progress: RFC 5321's longest line. A client must deliver this much (or the end
 * of its message) per idle period, about 17 bytes a second at the default 60 s.
 */
export const PROGRESS_BYTES = 1000;

/**
 * The DATA idle deadline: the client must deliver `PROGRESS_BYTES` (or the end of the message)
 * within `idleMs` of waiting for them, else the session is cut. smtp-server's `socketTimeout`
 * alone is reset by every byte, so a client trickling a byte (or an empty line) now and then
 * would hold its slot, and a half-written message, until `sessionMaxSeconds`. The same idea as
 * Postfix's `smtpd_per_record_deadline`, counted in bytes so that short lines do not help.
 *
 * Only time spent waiting for the client counts: while our reader is busy (writing to a slow
 * disk, waiting for the spool) the socket is paused by back-pressure, and that is not the
 * client's fault. The reader calls `waiting()` before asking for the next chunk, `received()`
 * when it comes, and `stop()` once the message has ended or the reader gave up.
 */
export class DataIdleDeadline {
  readonly #idleMs: number;
  readonly #onIdle: () => void;
  #timer: NodeJS.Timeout | undefined;
  #waitingSince: number | undefined;
  /** Time already spent waiting since the last progress. */
  #waitedMs = 0;
  #bytes = 0;
  /** Progress is each crossing of a multiple of PROGRESS_BYTES (chunk sizes do not matter, a burst is worth one crossing). */
  #marks = 0;
  #fired = false;

  constructor(args: { readonly idleMs: number; readonly onIdle: () => void }) {
    this.#idleMs = args.idleMs;
    this.#onIdle = args.onIdle;
  }

  get fired(): boolean {
    return this.#fired;
  }

  waiting(): void {
    if (this.#fired || this.#waitingSince !== undefined) return;
    this.#waitingSince = Date.now();
    this.#timer = setTimeout(
      () => {
        this.#fired = true;
        this.#waitingSince = undefined;
        this.#onIdle();
      },
      Math.max(0, this.#idleMs - this.#waitedMs),
    );
    this.#timer.unref();
  }

  received(chunk: Uint8Array): void {
    this.stop();
    this.#bytes += chunk.byteLength;
    const marks = Math.floor(this.#bytes / PROGRESS_BYTES);
    if (marks > this.#marks) {
      this.#marks = marks;
      this.#waitedMs = 0;
    }
  }

  /** Pauses the clock (the reader is busy, or done). */
  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#waitingSince !== undefined) this.#waitedMs += Date.now() - this.#waitingSince;
    this.#waitingSince = undefined;
  }
}
