import { closeSync, fstatSync, openSync, renameSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';
import TransportStream from 'winston-transport';
import type winston from 'winston';

/** Where winston's formats leave the finished line (triple-beam's MESSAGE). */
const MESSAGE = Symbol.for('message');

export interface RotatingFileOptions {
  readonly filename: string;
  readonly maxBytes: number;
  /** Rotated files kept: `<name>1<ext>` is the newest, `<name><maxFiles><ext>` the oldest. */
  readonly maxFiles: number;
  readonly format?: winston.Logform.Format;
}

/**
 * A winston transport that appends each line with one synchronous write and rotates by size,
 * renaming `x.log` → `x1.log` → `x2.log` …, so the live file always keeps its name (`tail -F`,
 * the seed's `/var/log/hview/dataprocessor_*`) and the set of files is found again by name after
 * a restart.
 *
 * Why not winston's own `maxsize`/`tailable`: its rotation runs asynchronously between writes,
 * overshoots the limit by whatever was queued meanwhile, and a transport ended mid-rotation
 * throws "write after end" (seen in test/logging; also winstonjs/winston#908, #1971, #2354).
 * A synchronous append of one line costs a few microseconds on a local disk, and nothing is
 * ever queued in memory, so a shutdown loses nothing and a rotation can never interleave.
 *
 * Several processes may write one file (the mailhandler runs once per message): a process that
 * finds the live file replaced by another's rotation reopens it instead of rotating again.
 */
export class RotatingFileTransport extends TransportStream {
  readonly #filename: string;
  readonly #maxBytes: number;
  readonly #maxFiles: number;
  #fd: number | null = null;

  constructor(options: RotatingFileOptions) {
    super(options.format === undefined ? {} : { format: options.format });
    this.#filename = options.filename;
    this.#maxBytes = options.maxBytes;
    this.#maxFiles = options.maxFiles;
    this.once('finish', () => this.close());
  }

  override log(info: Record<string | symbol, unknown>, next: () => void): void {
    const line = `${String(info[MESSAGE])}\n`;
    const bytes = Buffer.byteLength(line);
    try {
      // The file's own size, not a count of our writes: another process may append to it too.
      const size = fstatSync(this.#fd ?? this.#open()).size;
      if (size > 0 && size + bytes > this.#maxBytes) this.#rotate();
      writeSync(this.#fd ?? this.#open(), line);
    } catch {
      // A full or read-only disk must not stop the service; the console copy still has the line.
      this.close();
    }
    next();
  }

  override close(): void {
    if (this.#fd === null) return;
    const fd = this.#fd;
    this.#fd = null;
    try {
      closeSync(fd);
    } catch {
      /* already closed: nothing left to flush (writes are synchronous) */
    }
  }

  #open(): number {
    const fd = openSync(this.#filename, 'a', 0o640);
    this.#fd = fd;
    return fd;
  }

  #rotate(): void {
    const ours = fstatSync(this.#fd ?? this.#open());
    const live = statSync(this.#filename, { throwIfNoEntry: false });
    this.close();
    // Rotate only while the file we hold is still the live one: when another process has rotated
    // it meanwhile, ours is already a rotated file and opening the new live one is enough.
    if (live !== undefined && live.ino === ours.ino && live.dev === ours.dev) {
      const ext = path.extname(this.#filename);
      const base = this.#filename.slice(0, this.#filename.length - ext.length);
      // Renaming onto the oldest name replaces it: that is the deletion of the oldest file.
      for (let index = this.#maxFiles - 1; index >= 1; index -= 1) renameIfPresent(`${base}${index}${ext}`, `${base}${index + 1}${ext}`);
      renameIfPresent(this.#filename, `${base}1${ext}`);
    }
    this.#open();
  }
}

function renameIfPresent(from: string, to: string): void {
  try {
    renameSync(from, to);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}
