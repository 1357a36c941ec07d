import type { ArrivalFacts } from '../../../core/arrival-facts.js';
import type { StagedFile } from '../../../core/staged-file.js';
import { findMailParts } from './find-mail-parts.js';
import { readStagedText } from './read-staged-text.js';

/** A report body is a few KiB; this leaves ample room and still refuses a runaway part. */
export const MAX_BODY_BYTES = 8 * 1024 * 1024;
/** Enough of a body for classification and grouping: every header label of a report or alert. */
export const BODY_HEAD_BYTES = 16 * 1024;

export interface MailBody {
  readonly text: string | undefined;
  readonly html: string | undefined;
}

/** The staged text and HTML bodies of a mail (either may be absent). */
export async function readMailBody(args: { readonly dir: string; readonly files: readonly StagedFile[] }): Promise<MailBody> {
  const parts = findMailParts(args.files);
  const read = async (file: StagedFile | undefined): Promise<string | undefined> =>
    file === undefined ? undefined : readStagedText({ dir: args.dir, file, maxBytes: MAX_BODY_BYTES });
  return { text: await read(parts.text), html: await read(parts.html) };
}

/** The first BODY_HEAD_BYTES of each body, for matches() and group(). */
export async function readMailBodyHead(facts: Pick<ArrivalFacts, 'files' | 'readHead'>): Promise<MailBody> {
  const parts = findMailParts(facts.files);
  const read = async (file: StagedFile | undefined): Promise<string | undefined> => (file === undefined ? undefined : facts.readHead(file, BODY_HEAD_BYTES));
  return { text: await read(parts.text), html: await read(parts.html) };
}
