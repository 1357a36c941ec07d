import Busboy from 'busboy';
import type { IncomingMessage } from 'node:http';
import { IngestError } from '../../core/ingest-error.js';
import { badRequest } from '../http-error.js';

/** Room for a multipart body's boundaries and part headers around the file. */
export const MULTIPART_OVERHEAD_BYTES = 64 * 1024;
/** A client that sends nothing for this long is cut off (its partial upload is discarded). */
export const UPLOAD_IDLE_TIMEOUT_MS = 60_000;
/** After an early answer (413, 415, 403…) a client may still be sending: it gets this long to notice. */
export const UNREAD_BODY_GRACE_MS = 5_000;
/** The multipart part carrying the file: `curl -F file=@dump.zip`, `formData.append('file', blob)`. */
export const MULTIPART_FILE_FIELD = 'file';
const MAX_MULTIPART_PARTS = 20;
const MAX_MULTIPART_FIELD_BYTES = 64 * 1024;

export interface UploadBody {
  /** The file's bytes. Stopping early never destroys the request, so an error can still be answered. */
  readonly bytes: AsyncIterable<Uint8Array>;
  /** The client's file name (multipart `filename`), as data only. */
  readonly fileName: string | null;
  readonly contentType: string | null;
  /** Resolves once the whole body was read and is well-formed (multipart: closing boundary, one file). */
  finished(): Promise<void>;
}

export function isMultipart(req: IncomingMessage): boolean {
  return /^multipart\/form-data\s*(;|$)/i.test(req.headers['content-type'] ?? '');
}

/**
 * The uploaded file as a stream, read straight from the request with backpressure: the raw body
 * (any type but multipart; the content decides what it is), or the one part named `file` of a
 * multipart/form-data body (browsers). Other text fields are ignored; a second file, a file part
 * under another name or a body without one is a 400.
 */
export function openUploadBody(req: IncomingMessage): Promise<UploadBody> {
  if (!isMultipart(req)) {
    const raw: UploadBody = {
      bytes: req.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>,
      fileName: null,
      contentType: req.headers['content-type'] ?? null,
      finished: async () => undefined,
    };
    return Promise.resolve(raw);
  }
  return openMultipartFile(req);
}

function openMultipartFile(req: IncomingMessage): Promise<UploadBody> {
  let busboy: Busboy.Busboy;
  try {
    busboy = Busboy({ headers: req.headers, limits: { files: 1, parts: MAX_MULTIPART_PARTS, fieldSize: MAX_MULTIPART_FIELD_BYTES } });
  } catch (error) {
    return Promise.reject(badRequest('Content-Type', `is not a usable multipart/form-data type: ${(error as Error).message}`));
  }
  return new Promise<UploadBody>((resolveOpen, rejectOpen) => {
    let opened = false;
    let problem: IngestError | undefined;
    let settleBody: { resolve: () => void; reject: (error: unknown) => void } | undefined;
    const bodyDone = new Promise<void>((resolve, reject) => {
      settleBody = { resolve, reject };
    });
    // Awaited only once the file is in; a failure before that must not surface as unhandled.
    bodyDone.catch(() => undefined);

    const fail = (error: IngestError): void => {
      problem ??= error;
      if (!opened) rejectOpen(problem);
      settleBody?.reject(problem);
    };
    const onRequestClosed = (): void => {
      // A client gone mid-body: busboy would otherwise wait for the rest forever.
      if (!req.complete) busboy.destroy(new Error('the client disconnected before the end of the body'));
    };
    req.once('close', onRequestClosed);

    busboy.on('file', (name, stream, info) => {
      if (opened || name !== MULTIPART_FILE_FIELD) {
        stream.resume();
        fail(
          badRequest(
            'body',
            opened
              ? 'send one file per upload'
              : `the file must be the multipart part named "${MULTIPART_FILE_FIELD}", not ${JSON.stringify(name.slice(0, 100))}`,
          ),
        );
        return;
      }
      opened = true;
      // Read errors reach the reader through its iterator; once it has stopped (an early answer),
      // a later teardown must not become an unhandled 'error' event.
      stream.on('error', () => undefined);
      resolveOpen({
        bytes: stream.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>,
        fileName: info.filename ?? null,
        contentType: info.mimeType,
        finished: () => bodyDone,
      });
    });
    busboy.on('filesLimit', () => fail(badRequest('body', 'send one file per upload')));
    busboy.on('partsLimit', () => fail(badRequest('body', `a multipart body may have at most ${MAX_MULTIPART_PARTS} parts`)));
    busboy.on('error', (error: Error) => fail(badRequest('body', `is not valid multipart/form-data: ${error.message}`)));
    busboy.once('close', () => {
      req.off('close', onRequestClosed);
      if (problem !== undefined) return;
      if (!opened) fail(badRequest('body', `has no file part named "${MULTIPART_FILE_FIELD}"`));
      else settleBody?.resolve();
    });
    req.pipe(busboy);
  });
}

/**
 * Cuts off a client that stays silent for `idleMs` mid-upload: the request is destroyed, so the
 * reader fails and the partial upload is discarded. Returns the function that stops watching.
 */
export function watchUploadIdle(req: IncomingMessage, idleMs: number): () => void {
  const onIdle = (): void => {
    req.destroy(new IngestError('UPLOAD_STALLED', `no bytes received for ${Math.round(idleMs / 1000)} s`));
  };
  req.setTimeout(idleMs);
  req.on('timeout', onIdle);
  return () => {
    req.off('timeout', onIdle);
    req.socket?.setTimeout(0);
  };
}

/**
 * After an answer given before the body was read to its end (an error, mostly): the rest is read
 * and dropped so the connection can carry the answer and be reused, but a client still sending
 * after `UNREAD_BODY_GRACE_MS` is disconnected instead of streaming gigabytes into the void.
 */
export function discardUnreadBody(req: IncomingMessage): void {
  if (req.complete || req.destroyed) return;
  req.unpipe();
  const timer = setTimeout(() => req.destroy(), UNREAD_BODY_GRACE_MS);
  timer.unref();
  const stop = (): void => clearTimeout(timer);
  req.once('end', stop);
  req.once('close', stop);
  req.resume();
}
