const BLOCK_BYTES = 512;
/** A fixed time keeps generated archives byte-for-byte reproducible (2023-01-13T00:00:00Z). */
const FIXED_MTIME_SECONDS = 1_673_568_000;

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, '0')}\0`;
}

/**
 * A POSIX ustar archive of small regular files in memory (names under 100 bytes), for generated
 * test attachments; gzip it for a `.tar.gz`.
 */
export function ustarArchive(files: ReadonlyArray<readonly [name: string, content: string | Uint8Array]>): Buffer {
  const blocks: Buffer[] = [];
  for (const [name, content] of files) {
    const body = typeof content === 'string' ? Buffer.from(content) : Buffer.from(content);
    const header = Buffer.alloc(BLOCK_BYTES);
    header.write(name, 0, 100, 'utf8');
    header.write(octal(0o644, 8), 100, 'ascii');
    header.write(octal(0, 8), 108, 'ascii');
    header.write(octal(0, 8), 116, 'ascii');
    header.write(octal(body.length, 12), 124, 'ascii');
    header.write(octal(FIXED_MTIME_SECONDS, 12), 136, 'ascii');
    header.write('        ', 148, 'ascii');
    header.write('0', 156, 'ascii');
    header.write('ustar\0', 257, 'ascii');
    header.write('00', 263, 'ascii');
    let checksum = 0;
    for (const byte of header) checksum += byte;
    header.write(`${checksum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
    blocks.push(header, body, Buffer.alloc((BLOCK_BYTES - (body.length % BLOCK_BYTES)) % BLOCK_BYTES));
  }
  blocks.push(Buffer.alloc(2 * BLOCK_BYTES));
  return Buffer.concat(blocks);
}
