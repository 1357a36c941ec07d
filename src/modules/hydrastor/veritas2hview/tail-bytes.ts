/**
 * Keeps the last `capacity` bytes of a stream in a fixed buffer: each chunk is copied once (at
 * most `capacity` bytes of it), so a multi-gigabyte file costs one small buffer and no garbage.
 */
export class TailBytes {
  readonly #buffer: Buffer;
  /** Where the next byte goes; once `#full`, also where the oldest kept byte is. */
  #next = 0;
  #full = false;

  constructor(capacity: number) {
    this.#buffer = Buffer.alloc(capacity);
  }

  push(chunk: Buffer): void {
    const capacity = this.#buffer.length;
    if (capacity === 0) return;
    const part = chunk.length > capacity ? chunk.subarray(chunk.length - capacity) : chunk;
    const first = Math.min(part.length, capacity - this.#next);
    part.copy(this.#buffer, this.#next, 0, first);
    part.copy(this.#buffer, 0, first);
    const end = this.#next + part.length;
    if (end >= capacity) this.#full = true;
    this.#next = end % capacity;
  }

  /** The kept bytes, oldest first (a copy). */
  bytes(): Buffer {
    if (!this.#full) return Buffer.from(this.#buffer.subarray(0, this.#next));
    return Buffer.concat([this.#buffer.subarray(this.#next), this.#buffer.subarray(0, this.#next)]);
  }
}
