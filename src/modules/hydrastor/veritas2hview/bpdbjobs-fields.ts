const BACKSLASH = 92;
const MINUS = 45;
const COMMA = 44;
const DIGIT_0 = 48;
const PLUS = 43;
const DOT = 46;
const SPACE = 32;
/** Initial room for field boundaries; grows for records with more fields. */
const INITIAL_FIELD_CAPACITY = 128;
/** More fields than this is not a bpdbjobs record (and would make the boundary arrays huge). */
export const MAX_BPDBJOBS_FIELDS = 4096;

/**
 * The fields of one bpdbjobs record, kept as boundaries into the text it was read from.
 *
 * Fields are split on commas, honouring NetBackup's `\,` escape (a literal comma; this is not
 * RFC 4180: there are no quotes, and other backslashes are literal, as in `C:\Data`).
 *
 * Built for millions of records: the record is scanned once into reusable boundary arrays,
 * numbers are read straight from the characters, and only non-empty text fields become strings
 * (a plain `split` would allocate some 60 strings per record and halve the throughput).
 * A position past the last field reads as empty.
 */
export class BpdbjobsFields {
  #record = '';
  #count = 0;
  #starts = new Int32Array(INITIAL_FIELD_CAPACITY);
  #ends = new Int32Array(INITIAL_FIELD_CAPACITY);
  /** 1 where the field holds an escaped comma and needs unescaping when read as text. */
  #escaped = new Uint8Array(INITIAL_FIELD_CAPACITY);

  /** Fields in the record last split. */
  get count(): number {
    return this.#count;
  }

  /** Records the field boundaries of `text.slice(from, to)`; false when there are too many fields. */
  split(text: string, from: number, to: number): boolean {
    this.#record = text;
    let count = 0;
    let start = from;
    let escaped = 0;
    let comma = text.indexOf(',', from);
    for (;;) {
      if (comma >= to) comma = -1;
      if (comma !== -1 && comma > start && text.charCodeAt(comma - 1) === BACKSLASH) {
        escaped = 1;
        comma = text.indexOf(',', comma + 1);
        continue;
      }
      if (count === this.#starts.length && !this.#growCapacity()) return false;
      this.#starts[count] = start;
      this.#ends[count] = comma === -1 ? to : comma;
      this.#escaped[count] = escaped;
      count += 1;
      if (comma === -1) break;
      start = comma + 1;
      escaped = 0;
      // Empty fields are common (a third of a typical record): skip the indexOf call for them.
      comma = start < to && text.charCodeAt(start) === COMMA ? start : text.indexOf(',', start);
    }
    this.#count = count;
    return true;
  }

  #growCapacity(): boolean {
    const capacity = this.#starts.length * 2;
    if (capacity > MAX_BPDBJOBS_FIELDS) return false;
    const grow = <T extends Int32Array | Uint8Array>(from: T, to: T): T => {
      to.set(from);
      return to;
    };
    this.#starts = grow(this.#starts, new Int32Array(capacity));
    this.#ends = grow(this.#ends, new Int32Array(capacity));
    this.#escaped = grow(this.#escaped, new Uint8Array(capacity));
    return true;
  }

  /** The field as written (escapes kept), for messages. */
  raw(position: number): string {
    return position < 0 || position >= this.#count ? '' : this.#record.slice(this.#starts[position], this.#ends[position]);
  }

  isEmpty(position: number): boolean {
    return position < 0 || position >= this.#count || this.#starts[position] === this.#ends[position];
  }

  /** The field with `\,` unescaped, or null when it is empty. */
  text(position: number): string | null {
    if (this.isEmpty(position)) return null;
    const value = this.#record.slice(this.#starts[position], this.#ends[position]);
    return this.#escaped[position] === 1 ? value.replaceAll('\\,', ',') : value;
  }

  /**
   * The field's value when it is a plain integer (digits, an optional leading minus), read from the
   * characters without slicing; NaN for anything else, an empty field included.
   */
  plainInteger(position: number): number {
    if (this.isEmpty(position)) return Number.NaN;
    const record = this.#record;
    const end = this.#ends[position] as number;
    let index = this.#starts[position] as number;
    const negative = record.charCodeAt(index) === MINUS;
    if (negative) index += 1;
    let value = 0;
    if (index === end) return Number.NaN;
    for (; index < end; index += 1) {
      const digit = record.charCodeAt(index) - DIGIT_0;
      if (digit < 0 || digit > 9) return Number.NaN;
      value = value * 10 + digit;
    }
    return negative ? -value : value;
  }

  /** A non-negative whole number of at most 9 digits written plainly, or null. */
  plainCount(position: number): number | null {
    if (position < 0 || position >= this.#count) return null;
    const record = this.#record;
    const start = this.#starts[position] as number;
    const end = this.#ends[position] as number;
    if (end === start || end - start > 9) return null;
    let value = 0;
    for (let index = start; index < end; index += 1) {
      const digit = record.charCodeAt(index) - DIGIT_0;
      if (digit < 0 || digit > 9) return null;
      value = value * 10 + digit;
    }
    return value;
  }

  /** True when the field holds a character no number has (a name, a path). */
  holdsText(position: number): boolean {
    if (position < 0 || position >= this.#count) return false;
    const record = this.#record;
    const end = this.#ends[position] as number;
    for (let index = this.#starts[position] as number; index < end; index += 1) {
      const code = record.charCodeAt(index);
      if (!((code >= DIGIT_0 && code <= DIGIT_0 + 9) || code === MINUS || code === PLUS || code === DOT || code === SPACE)) return true;
    }
    return false;
  }
}
