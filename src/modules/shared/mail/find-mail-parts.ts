import { HTML_BODY_FILE, TEXT_BODY_FILE, type StagedFile } from '../../../core/staged-file.js';

/**
 * A mail forwarded as an attachment gets its parts staged beside the outer mail's, each name
 * prefixed once per level of forwarding (`forwarded-body.txt`), with the forwarded message's
 * header block as `<prefix>headers.txt` (the transport's unwrapForwardedMail).
 */
export const FORWARDED_PREFIX = 'forwarded-';
export const FORWARDED_HEADERS_FILE = 'headers.txt';
/** Deeper than the transport ever unwraps; only bounds the search. */
const MAX_FORWARD_DEPTH_SEARCHED = 10;

export interface MailParts {
  readonly text: StagedFile | undefined;
  readonly html: StagedFile | undefined;
  /** In message order. */
  readonly attachments: readonly StagedFile[];
  /** Levels of forwarding these parts sit under: 0 when the mail came directly. */
  readonly forwarded: number;
}

/** `application/zip` out of `application/zip; name=…`, lower case ('' when unknown). */
export function stagedMediaType(file: StagedFile): string {
  return (file.contentType ?? '').split(';', 1)[0]?.trim().toLowerCase() ?? '';
}

/**
 * Finds the parts of the message a module reads: those of the innermost forwarded message when
 * the mail was forwarded as an attachment (as if it had come directly), else the mail's own, by
 * their generated names, else by role and content type, so a transport that names them
 * differently (or a CLI ingest of a lone body file) still works.
 */
export function findMailParts(files: readonly StagedFile[]): MailParts {
  const byName = (name: string): StagedFile | undefined => files.find((file) => file.name === name);
  const forwarded = forwardDepth(files);
  if (forwarded > 0) {
    const prefix = FORWARDED_PREFIX.repeat(forwarded);
    const attachmentName = new RegExp(`^${prefix}attachment-\\d+\\.bin$`);
    return {
      text: byName(`${prefix}${TEXT_BODY_FILE}`),
      html: byName(`${prefix}${HTML_BODY_FILE}`),
      attachments: files.filter((file) => attachmentName.test(file.name)),
      forwarded,
    };
  }
  return {
    text: byName(TEXT_BODY_FILE) ?? files.find((file) => file.role === 'body' && stagedMediaType(file) !== 'text/html'),
    html: byName(HTML_BODY_FILE) ?? files.find((file) => file.role === 'body-html' || (file.role === 'body' && stagedMediaType(file) === 'text/html')),
    attachments: files.filter((file) => file.role === 'attachment'),
    forwarded: 0,
  };
}

/** How many levels of forwarded messages were staged: the deepest `forwarded-…headers.txt` present. */
function forwardDepth(files: readonly StagedFile[]): number {
  const names = new Set(files.map((file) => file.name));
  let depth = 0;
  while (depth < MAX_FORWARD_DEPTH_SEARCHED && names.has(`${FORWARDED_PREFIX.repeat(depth + 1)}${FORWARDED_HEADERS_FILE}`)) depth += 1;
  return depth;
}
