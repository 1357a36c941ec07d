import type { StagedFile } from '../../types.js';

/** The names the mail transport gives a message's parts (src/pipeline/mail). */
export const MESSAGE_FILE = 'message.eml';
export const TEXT_BODY_FILE = 'body.txt';
export const HTML_BODY_FILE = 'body.html';

export interface MailParts {
  readonly message: StagedFile | undefined;
  readonly text: StagedFile | undefined;
  readonly html: StagedFile | undefined;
  /** In message order. */
  readonly attachments: readonly StagedFile[];
}

/** `application/zip` out of `application/zip; name=…`, lower case ('' when unknown). */
export function stagedMediaType(file: StagedFile): string {
  return (file.contentType ?? '').split(';', 1)[0]?.trim().toLowerCase() ?? '';
}

/**
 * Finds a staged mail's parts by their generated names, else by role and content type, so a
 * transport that names them differently (or a CLI ingest of a lone body file) still works.
 */
export function findMailParts(files: readonly StagedFile[]): MailParts {
  const byName = (name: string): StagedFile | undefined => files.find((file) => file.name === name);
  return {
    message: byName(MESSAGE_FILE) ?? files.find((file) => file.role === 'message'),
    text: byName(TEXT_BODY_FILE) ?? files.find((file) => file.role === 'body' && stagedMediaType(file) !== 'text/html'),
    html: byName(HTML_BODY_FILE)
      ?? files.find((file) => file.role === 'body-html' || (file.role === 'body' && stagedMediaType(file) === 'text/html')),
    attachments: files.filter((file) => file.role === 'attachment'),
  };
}
