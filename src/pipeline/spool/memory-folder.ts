import { createHash, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import type { StagedFile } from '../../core/staged-file.js';
import { IngestError } from '../../core/ingest-error.js';
import { checkStagedFileName, decodeHead, stagedFileRecord, toChunks, type StagingFolder, type WriteStagedFileArgs } from '../staging/staging-folder.js';

/**
 * The folder of a small arrival bound for the spool: its files live in memory until the spool
 * appends them (one write and one fdatasync shared by every arrival of a batch). Bounded by the
 * caller: only arrivals below `spool.maxArrivalBytes` come here, and their derived files (bodies
 * and attachments split from the message) are about the size of the message itself, once per level
 * (a forwarded mail's parts are split once more, up to 3 levels: see unwrapForwardedMail).
 */
export class MemoryFolder implements StagingFolder {
  readonly id = randomUUID();
  readonly files: StagedFile[] = [];
  readonly #contents = new Map<string, Buffer>();

  async writeFile(args: WriteStagedFileArgs): Promise<StagedFile> {
    checkStagedFileName(this, args.name);
    const hash = createHash('sha256');
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of toChunks(args.source)) {
      size += chunk.byteLength;
      if (args.maxBytes !== undefined && size > args.maxBytes) {
        throw new IngestError('ARRIVAL_TOO_LARGE', `the file is larger than the limit of ${args.maxBytes} bytes`, { details: { limitBytes: args.maxBytes } });
      }
      hash.update(chunk);
      chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      args.onProgress?.(size);
    }
    const file = stagedFileRecord(args, size, hash.digest('hex'));
    this.#contents.set(args.name, chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size));
    this.files.push(file);
    return file;
  }

  openRead(name: string): Readable {
    const content = this.#contents.get(name);
    if (content === undefined) throw new Error(`no staged file ${name}`);
    return Readable.from([content], { objectMode: false });
  }

  readHead(name: string, maxBytes: number): string | undefined {
    const content = this.#contents.get(name);
    return content === undefined ? undefined : decodeHead(content.subarray(0, maxBytes));
  }

  /** Every file's bytes, in `files` order (what the spool appends). */
  contents(): Buffer[] {
    return this.files.map((file) => this.#contents.get(file.name) as Buffer);
  }
}
