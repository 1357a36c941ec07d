import type { JobRow } from '../../db/database-schema.js';
import type { StagedFile } from '../../core/staged-file.js';
import { openStagedFile, stagedFilesOf } from '../../pipeline/staging/open-staged-file.js';

/** Enough of a body to recognise a mail; the full file is a download away. */
export const PREVIEW_BYTES = 2048;
const TEXT_NAME = /\.(txt|csv|json|log|xml|ya?ml)$/i;

/** The file a preview shows: the text body of a mail, else the first original that looks like text. */
export function previewFileOf(files: readonly StagedFile[]): StagedFile | undefined {
  const isText = (file: StagedFile): boolean =>
    file.contentType?.startsWith('text/plain') === true || TEXT_NAME.test(file.originalName ?? file.name) || file.contentType === 'application/json';
  return files.find((file) => file.role === 'body' && isText(file)) ?? files.find(isText);
}

/**
 * The first PREVIEW_BYTES of a job's text original as text (control characters shown as `�`,
 * a character cut at the end dropped), or why there is none. The page escapes it like any other text.
 */
export async function readStagedPreview(
  dataRoot: string,
  job: JobRow,
): Promise<{ readonly text: string; readonly truncated: boolean } | { readonly none: string }> {
  const file = previewFileOf(stagedFilesOf(job));
  if (file === undefined) return { none: 'no text original to preview (see Files on the job page)' };
  if (job.inbox_purged_at !== null) return { none: 'the originals were removed by retention' };
  let opened;
  try {
    opened = await openStagedFile({ dataRoot, job, name: file.name });
  } catch (error) {
    return { none: (error as Error).message };
  }
  const chunks: Buffer[] = [];
  let length = 0;
  try {
    for await (const chunk of opened.stream as AsyncIterable<Buffer>) {
      chunks.push(chunk);
      length += chunk.length;
      if (length >= PREVIEW_BYTES) break;
    }
  } finally {
    opened.stream.destroy();
  }
  const head = Buffer.concat(chunks).subarray(0, PREVIEW_BYTES);
  const text = new TextDecoder('utf-8', { fatal: false })
    .decode(head)
    .replace(/\uFFFD$/, '')
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/g, '\uFFFD');
  return { text, truncated: opened.size > PREVIEW_BYTES };
}
