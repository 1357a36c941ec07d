import { StringDecoder } from 'node:string_decoder';

/**
 * The encodings export files arrive in. NetBackup on Windows (PowerShell's `>` and `Out-File`)
 * writes UTF-16 LE with a byte-order mark, and some tools add a UTF-8 BOM (formats spec §3, "Also
 * seen in real NetBackup output"). Decoded here, so no parser ever sees a BOM or a NUL byte
 * between characters, and a BOM never becomes part of the first job id.
 */
export type TextEncoding = 'utf-8' | 'utf-16le' | 'utf-16be';

/** Turns byte chunks into text; multi-byte characters split across chunks are reassembled. */
export interface ChunkDecoder {
  write(chunk: Uint8Array): string;
  end(): string;
}

const BYTE_ORDER_MARK = '\ufeff';

/**
 * From the first bytes: a BOM says it; without one, ASCII text in UTF-16 shows as a NUL byte
 * beside each character (`4\0` little-endian, `\04` big-endian), which UTF-8 text never has.
 */
export function detectTextEncoding(head: Uint8Array): TextEncoding {
  const [first, second] = head;
  if (first === 0xff && second === 0xfe) return 'utf-16le';
  if (first === 0xfe && second === 0xff) return 'utf-16be';
  if (head.length >= 2 && first !== 0 && second === 0) return 'utf-16le';
  if (head.length >= 2 && first === 0 && second !== 0) return 'utf-16be';
  return 'utf-8';
}

/** A streaming decoder for the encoding; its output never starts with a BOM. */
export function createChunkDecoder(encoding: TextEncoding): ChunkDecoder {
  let atStart = true;
  const withoutBom = (text: string): string => {
    if (!atStart || text.length === 0) return text;
    atStart = false;
    return text.startsWith(BYTE_ORDER_MARK) ? text.slice(1) : text;
  };
  if (encoding === 'utf-8') {
    const decoder = new StringDecoder('utf8');
    return { write: (chunk) => withoutBom(decoder.write(chunk as Buffer)), end: () => withoutBom(decoder.end()) };
  }
  // TextDecoder drops the BOM itself (ignoreBOM: false) and handles both byte orders.
  const decoder = new TextDecoder(encoding);
  return { write: (chunk) => withoutBom(decoder.decode(chunk, { stream: true })), end: () => withoutBom(decoder.decode()) };
}

/** A whole small file as text, in whatever of the encodings it was written. */
export function decodeText(bytes: Uint8Array): string {
  const decoder = createChunkDecoder(detectTextEncoding(bytes));
  return decoder.write(bytes) + decoder.end();
}
