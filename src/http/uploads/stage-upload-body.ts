import type { IncomingMessage } from 'node:http';
import type { StagedFile } from '../../core/staged-file.js';
import { cleanOriginalName } from '../../pipeline/mail/clean-original-name.js';
import { peekArchiveType } from '../../pipeline/extract/peek-archive-type.js';
import type { StagingFolder } from '../../pipeline/staging/staging-folder.js';
import { UPLOAD_IDLE_TIMEOUT_MS, openUploadBody, watchUploadIdle } from './upload-body.js';

/** The role modules look for (the same as an object fetched from S3), so both ways in stage alike. */
export const UPLOADED_FILE_ROLE = 'object';

export interface StageUploadBodyArgs {
  readonly req: IncomingMessage;
  readonly folder: StagingFolder;
  readonly maxBytes: number;
  /** The client's name from the query or a header; a multipart part's own filename otherwise. */
  readonly fileName: string | undefined;
  readonly onProgress: (bytes: number) => void;
  readonly idleTimeoutMs?: number;
}

/**
 * Streams an upload's file from the request into the incoming folder: the archive type is read
 * from the first bytes before anything is written (ARCHIVE_UNSUPPORTED otherwise), the size
 * limit holds while streaming (ARRIVAL_TOO_LARGE), the file is made durable by the folder, and a
 * multipart body must end well-formed. On any failure the partial file is already gone.
 */
export async function stageUploadBody(args: StageUploadBodyArgs): Promise<StagedFile> {
  // Only while bytes are due: fsyncing a large file may take longer than the idle limit.
  const stopWatching = once(watchUploadIdle(args.req, args.idleTimeoutMs ?? UPLOAD_IDLE_TIMEOUT_MS));
  try {
    const body = await openUploadBody(args.req);
    const { type, bytes } = await peekArchiveType(body.bytes);
    const originalName = cleanOriginalName(args.fileName ?? body.fileName ?? undefined);
    const contentType = cleanOriginalName(body.contentType ?? undefined);
    const file = await args.folder.writeFile({
      name: `upload.${type}`,
      source: thenStop(bytes, stopWatching),
      maxBytes: args.maxBytes,
      role: UPLOADED_FILE_ROLE,
      onProgress: args.onProgress,
      ...(originalName === undefined ? {} : { originalName }),
      ...(contentType === undefined ? {} : { contentType }),
    });
    await body.finished();
    return file;
  } finally {
    stopWatching();
  }
}

/** The same bytes; `onEnd` runs as soon as the last one has been read. */
async function* thenStop(bytes: AsyncIterable<Uint8Array>, onEnd: () => void): AsyncGenerator<Uint8Array> {
  yield* bytes;
  onEnd();
}

function once(action: () => void): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    action();
  };
}
