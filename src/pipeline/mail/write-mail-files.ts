import type { Readable } from 'node:stream';
import { MESSAGE_FILE } from '../../core/staged-file.js';
import type { StagingFolder } from '../staging/staging-folder.js';
import { splitStagedMail } from './split-staged-mail.js';

export interface WriteMailFilesArgs {
  readonly folder: StagingFolder;
  /** The raw message (RFC 5322 bytes, dot-unstuffed). */
  readonly source: Readable | AsyncIterable<Uint8Array> | Uint8Array;
  /** The write stops, and its partial file is removed, once more bytes than this arrive. */
  readonly maxBytes: number;
}

/**
 * Stages one mail: `message.eml` exactly as received (durable before anything is derived from
 * it), then the bodies and attachments split from that staged copy (see splitStagedMail).
 * Returns the hints for classification. A message whose MIME structure cannot be read is kept
 * raw, with a `mimeProblem` hint, rather than refused: bad input must never vanish, and a person
 * can look at it in the unclassified list.
 */
export async function writeMailFiles(args: WriteMailFilesArgs): Promise<Readonly<Record<string, string>>> {
  await args.folder.writeFile({ name: MESSAGE_FILE, source: args.source, maxBytes: args.maxBytes, role: 'message', contentType: 'message/rfc822' });
  const split = await splitStagedMail({ folder: args.folder, messageName: MESSAGE_FILE });
  return split.hints;
}
