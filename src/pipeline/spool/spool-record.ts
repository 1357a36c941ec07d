import { readSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import { stagedManifestSchema, type StagedManifest } from '../staging/staged-manifest.js';

/**
 * One arrival in a spool segment:
 *   "DPS1" · u32 manifest length · u32 contents length · u32 CRC-32 of the rest · manifest JSON · file bytes
 * The files follow in `manifest.files` order, each `size` bytes. The CRC makes a record torn by a
 * crash (written but never fdatasynced, so never acknowledged) end the segment when it is read.
 */
export const SPOOL_RECORD_MAGIC = Buffer.from('DPS1');
const HEADER_BYTES = 16;
/** Far above any spooled arrival (they are small by definition): a larger length is garbage, not a record. */
const MAX_RECORD_BYTES = 256 * 1024 * 1024;

export interface SpoolRecord {
  readonly manifest: StagedManifest;
  readonly contents: readonly Buffer[];
}

export function encodeSpoolRecord(record: SpoolRecord): Buffer {
  const manifest = Buffer.from(JSON.stringify(record.manifest));
  const contentsLength = record.contents.reduce((sum, content) => sum + content.byteLength, 0);
  const header = Buffer.alloc(HEADER_BYTES);
  SPOOL_RECORD_MAGIC.copy(header, 0);
  header.writeUInt32LE(manifest.byteLength, 4);
  header.writeUInt32LE(contentsLength, 8);
  let crc = crc32(manifest);
  for (const content of record.contents) crc = crc32(content, crc);
  header.writeUInt32LE(crc, 12);
  return Buffer.concat([header, manifest, ...record.contents], HEADER_BYTES + manifest.byteLength + contentsLength);
}

/** Decodes one whole record (as read back at its offset); undefined when it is torn or not a record. */
export function decodeSpoolRecord(bytes: Buffer): SpoolRecord | undefined {
  const length = recordLength(bytes);
  if (length === undefined || bytes.byteLength < length) return undefined;
  const manifestLength = bytes.readUInt32LE(4);
  const body = bytes.subarray(HEADER_BYTES, length);
  if (crc32(body) !== bytes.readUInt32LE(12)) return undefined;
  let manifest: StagedManifest;
  try {
    const parsed = stagedManifestSchema.safeParse(JSON.parse(body.subarray(0, manifestLength).toString('utf8')));
    if (!parsed.success) return undefined;
    manifest = parsed.data;
  } catch {
    return undefined;
  }
  const contents: Buffer[] = [];
  let offset = manifestLength;
  for (const file of manifest.files) {
    contents.push(body.subarray(offset, offset + file.size));
    offset += file.size;
  }
  return offset === body.byteLength ? { manifest, contents } : undefined;
}

/** A record's total length from its header, or undefined when the header is not one. */
export function recordLength(header: Buffer): number | undefined {
  if (header.byteLength < HEADER_BYTES || !header.subarray(0, 4).equals(SPOOL_RECORD_MAGIC)) return undefined;
  const length = HEADER_BYTES + header.readUInt32LE(4) + header.readUInt32LE(8);
  return length <= MAX_RECORD_BYTES ? length : undefined;
}

/** Reads the record at `offset` of an open segment file (synchronously: it was just written, so it is in the page cache); undefined when it is torn. */
export function readSpoolRecordAt(descriptor: number, offset: number, length: number): SpoolRecord | undefined {
  const buffer = Buffer.allocUnsafe(length);
  const bytesRead = readSync(descriptor, buffer, 0, length, offset);
  return decodeSpoolRecord(buffer.subarray(0, bytesRead));
}

/**
 * Every whole record of a segment, in order, with where it lies; stops at the first torn or
 * foreign bytes (the tail a crash left). Reads one record at a time, so memory stays at the
 * size of the largest record.
 */
export async function* readSpoolSegment(file: string): AsyncGenerator<SpoolRecord & { readonly offset: number; readonly length: number }> {
  const handle = await open(file, 'r');
  try {
    const header = Buffer.alloc(HEADER_BYTES);
    for (let offset = 0; ;) {
      const { bytesRead } = await handle.read(header, 0, HEADER_BYTES, offset);
      const length = recordLength(header.subarray(0, bytesRead));
      if (length === undefined) return;
      const bytes = Buffer.alloc(length);
      const read = await handle.read(bytes, 0, length, offset);
      const record = decodeSpoolRecord(bytes.subarray(0, read.bytesRead));
      if (record === undefined) return;
      yield { ...record, offset, length };
      offset += length;
    }
  } finally {
    await handle.close();
  }
}
