/** One original file kept in the job's inbox folder, as recorded in its manifest. */
export interface StagedFile {
  /** Generated name inside the job folder; never derived from client input. */
  readonly name: string;
  readonly size: number;
  readonly sha256: string;
  /** What the client called it (attachment name, S3 key's last segment), kept as data only. */
  readonly originalName?: string;
  readonly contentType?: string;
  /** Role of the file for the module: 'message', 'body', 'attachment', 'object', … */
  readonly role?: string;
}

/**
 * The names the mail transport gives a split message's files in its job folder (the seed's layout),
 * and the names the mail modules look them up by: one definition for both sides.
 */
export const MESSAGE_FILE = 'message.eml';
export const TEXT_BODY_FILE = 'body.txt';
export const HTML_BODY_FILE = 'body.html';
