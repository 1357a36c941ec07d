/**
 * The closed vocabulary of error codes (like Haraka's DENY/DENYSOFT): every code the service
 * raises, records on a job or answers with is a key here, so a misspelt code does not compile.
 * Each transport derives its mapping from this one table (src/http/http-error.ts,
 * src/smtp/reply-for-error.ts, src/mailhandler/mailhandler-outcome.ts); docs/errors.md lists it and
 * is checked against it by test/core/error-codes.test.ts.
 *
 * Per code:
 * - `transient` / `expose`: the defaults of an IngestError with this code (see ingest-error.ts for
 *   the few call sites that override them, and why).
 * - `http`: the code's own status. Without one, an error is 503 when transient, else 500, and its
 *   code is hidden from the client unless it is exposed.
 * - `smtp`: the code's own reply, `<code> <enhanced status> <generic text>`. A 4xx reply is used
 *   only while the error is transient, a 5xx only while it is permanent; otherwise the generic
 *   rules of reply-for-error.ts apply (451 4.3.0; 554 5.0.0 when exposed).
 * - `exit`: the mailhandler's sysexits status for a permanent refusal (EX_UNAVAILABLE without one).
 * - `localSetup`: a local set-up problem; the mailhandler defers it with 4.3.5 "system
 *   incorrectly configured" instead of the SMTP status.
 */

/** sysexits.h, the only statuses Postfix pipe(8) interprets: 75 defers, the others bounce. */
export const SYSEXITS = {
  ok: 0,
  dataError: 65,
  noUser: 67,
  unavailable: 69,
  tempFail: 75,
  noPermission: 77,
} as const;

export interface ErrorCodeSpec {
  /** One line for operators: what happened, and what to do when it is not obvious. */
  readonly meaning: string;
  readonly transient: boolean;
  readonly expose: boolean;
  readonly http?: number;
  readonly smtp?: string;
  readonly exit?: number;
  readonly localSetup?: true;
}

/** The reply for a full disk, which reply-for-error.ts also gives to any error caused by one. */
export const STORAGE_FULL_REPLY = '452 4.3.1 Insufficient system storage, please try again later';
const TOO_LARGE = '552 5.3.4 Message size exceeds fixed maximum message size';

/** Node system errors worth a retry; toIngestError turns each into `SYSTEM_<code>`. */
export const TRANSIENT_SYSTEM_CODES = [
  'ENOSPC',
  'EDQUOT',
  'EIO',
  'EMFILE',
  'ENFILE',
  'EAGAIN',
  'EBUSY',
  'ETIMEDOUT',
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
] as const;

const system = (meaning: string, smtp?: string): ErrorCodeSpec => ({ meaning, transient: true, expose: false, ...(smtp === undefined ? {} : { smtp }) });

const CATALOGUE = {
  // Requests (REST API).
  BAD_REQUEST: { meaning: 'The request is malformed; the message names the field', transient: false, expose: true, http: 400 },
  UNAUTHORIZED: { meaning: 'No valid X-Api-Key (or webhook token) was sent', transient: false, expose: true, http: 401 },
  FORBIDDEN: { meaning: 'The API key may not do this (another customer, or not an admin key)', transient: false, expose: true, http: 403 },
  NOT_FOUND: { meaning: 'No such resource, or the feature is turned off', transient: false, expose: true, http: 404 },
  METHOD_NOT_ALLOWED: { meaning: 'The route exists but not with this HTTP method', transient: false, expose: true, http: 405 },
  REQUEST_TIMEOUT: { meaning: 'The request body did not arrive within http.timeouts.bodySeconds', transient: false, expose: true, http: 408 },
  CONFLICT: { meaning: 'The request clashes with existing data (a customer that exists already)', transient: false, expose: true, http: 409 },
  ROUTE_TAKEN: { meaning: 'An ingest address or bucket route is held by another customer', transient: false, expose: true, http: 409 },
  PAYLOAD_TOO_LARGE: { meaning: 'The request body is larger than the configured limit', transient: false, expose: true, http: 413 },
  UNSUPPORTED_MEDIA_TYPE: { meaning: 'The body has a content type or encoding the route does not take', transient: false, expose: true, http: 415 },
  RATE_LIMITED: { meaning: 'Too many requests for this API key (http.rateLimit); retry after Retry-After', transient: false, expose: true, http: 429 },
  NOT_IMPLEMENTED: { meaning: 'The router knows no such method at all (shown with HTTP 501)', transient: false, expose: true },
  UNAVAILABLE: { meaning: 'The generic code a client sees for a hidden transient fault', transient: true, expose: false },
  NOT_READY: { meaning: 'The readiness check failed (database or storage); the body lists why', transient: true, expose: true },
  UPLOAD_STALLED: { meaning: 'A direct upload sent no byte for http.timeouts.uploadIdleSeconds', transient: false, expose: true },
  EMPTY_UPLOAD: { meaning: 'An upload of 0 bytes', transient: false, expose: true },
  S3_CREDENTIALS_MISSING: { meaning: 'Presigning needs S3 credentials the service does not have', transient: true, expose: true },
  // Arrivals (every transport).
  CUSTOMER_UNKNOWN: { meaning: 'No customer with that slug', transient: false, expose: true, http: 400 },
  CUSTOMER_DISABLED: {
    meaning: 'The customer is disabled (offboarded or paused): mail, uploads and its keys are refused; enable it again to resume',
    transient: false,
    expose: true,
    http: 403,
    smtp: '550 5.2.1 Mailbox disabled, not accepting messages',
  },
  CUSTOMER_ENABLED: { meaning: 'Only a disabled customer can be purged: disable it first', transient: false, expose: true, http: 409 },
  CUSTOMER_BUSY: {
    meaning: 'The customer has a job being staged or running; purge again once it ends (or cancel it)',
    transient: false,
    expose: true,
    http: 409,
  },
  CONFIRMATION_REQUIRED: { meaning: 'A purge needs the confirmation token of its dry run', transient: false, expose: true, http: 400 },
  CONFIRMATION_INVALID: { meaning: 'The confirmation token is not one a dry run of this customer gave', transient: false, expose: true, http: 400 },
  CONFIRMATION_STALE: {
    meaning: 'The confirmation token expired or the data changed since the dry run: run the dry run again',
    transient: false,
    expose: true,
    http: 409,
  },
  MODULE_UNKNOWN: { meaning: 'No module with that key is installed on this node', transient: false, expose: true, http: 400 },
  ARRIVAL_TOO_LARGE: {
    meaning: 'The arrival is larger than the staging limit of its transport',
    transient: false,
    expose: true,
    http: 413,
    smtp: TOO_LARGE,
    exit: SYSEXITS.dataError,
  },
  ARRIVAL_IN_PROGRESS: { meaning: 'The same arrival is being stored right now; retry shortly', transient: true, expose: true, http: 409 },
  STAGING_FAILED: { meaning: 'The arrival could not be moved into inbox/', transient: true, expose: false },
  STAGING_PATH_EXHAUSTED: { meaning: 'Too many arrivals for one folder in one second', transient: true, expose: false },
  STORAGE_LOW: { meaning: 'The data root is (nearly) full', transient: true, expose: false, smtp: STORAGE_FULL_REPLY },
  SHUTTING_DOWN: { meaning: 'The service is stopping; the arrival was not taken', transient: true, expose: false },
  // SMTP and mail.
  RECIPIENT_UNKNOWN: {
    meaning: 'The recipient is not a known ingest address',
    transient: false,
    expose: true,
    smtp: '550 5.1.1 Recipient address rejected: user unknown',
    exit: SYSEXITS.noUser,
  },
  RELAY_DENIED: {
    meaning: 'The recipient is outside the ingest domains (no open relay)',
    transient: false,
    expose: true,
    smtp: '550 5.7.1 Relay access denied',
    exit: SYSEXITS.noPermission,
  },
  SENDER_NOT_ALLOWED: {
    meaning: "The sender is not on the customer's allowed senders",
    transient: false,
    expose: true,
    smtp: '550 5.7.1 Sender address rejected: not allowed',
    exit: SYSEXITS.noPermission,
  },
  SENDER_ALLOW_LIST_MISSING: {
    meaning: 'smtp.requireSenderAllowList is on and the customer has no sender allow-list: give it allowed senders to receive mail',
    transient: false,
    expose: true,
    smtp: '550 5.7.1 Recipient has no sender allow-list, not accepting messages',
    exit: SYSEXITS.noPermission,
  },
  SENDER_AUTH_REQUIRED: {
    meaning:
      'The customer requires a passing SPF/DKIM/DMARC verdict (requireSenderAuth) and the message has none from a trusted Authentication-Results header (smtp.trustedAuthservIds)',
    transient: false,
    expose: true,
    smtp: '550 5.7.1 Message rejected: sender authentication required',
    exit: SYSEXITS.noPermission,
  },
  RECIPIENT_AMBIGUOUS: { meaning: 'The recipient is routed to two customers; deferred until an admin decides', transient: true, expose: false },
  RECIPIENT_MISSING: { meaning: 'The message has no recipient', transient: false, expose: true },
  MESSAGE_TOO_LARGE: { meaning: 'The message is larger than smtp.maxMessageBytes', transient: false, expose: true, smtp: TOO_LARGE, exit: SYSEXITS.dataError },
  MESSAGE_MALFORMED: {
    meaning: 'The MIME structure could not be read',
    transient: false,
    expose: true,
    smtp: '554 5.6.0 Message content rejected: malformed message',
    exit: SYSEXITS.dataError,
  },
  TOO_MANY_RECIPIENTS: { meaning: 'More recipients than smtp.maxRecipients', transient: true, expose: true, smtp: '452 4.5.3 Too many recipients' },
  TOO_MANY_CONNECTIONS: {
    meaning: 'Too many connections from one address',
    transient: true,
    expose: true,
    smtp: '421 4.7.0 Too many connections, try again later',
  },
  DATA_TIMEOUT: { meaning: 'The client sent message data too slowly (smtp.dataIdleSeconds)', transient: true, expose: false },
  SPOOL_WRITE_FAILED: { meaning: 'The spool file could not be appended to', transient: true, expose: false },
  SPOOL_LOCK_LOST: { meaning: 'This instance no longer holds its spool lock', transient: true, expose: false },
  MAILHANDLER_USAGE: { meaning: 'The mailhandler command line is wrong (master.cf)', transient: true, expose: true, localSetup: true },
  // Set-up and database.
  CONFIG_INVALID: { meaning: 'The configuration is invalid; the message names the key', transient: true, expose: true, localSetup: true },
  DATABASE_SCHEMA_OUTDATED: { meaning: 'The database lacks migrations: run "dataprocessor migrate"', transient: true, expose: true, localSetup: true },
  EMBEDDED_DATABASE_UNAVAILABLE: { meaning: 'No DATABASE_URL and the embedded database cannot be reached', transient: true, expose: true, localSetup: true },
  DATABASE_UNAVAILABLE: {
    meaning: 'PostgreSQL is unreachable or refused for now (connection, resources, serialization)',
    transient: true,
    expose: false,
    http: 503,
  },
  DATABASE_ERROR: { meaning: 'PostgreSQL refused a statement for good (details hold the SQLSTATE)', transient: false, expose: false },
  INTERNAL: { meaning: 'A bug or an unclassified fault; the log and the job record have the detail', transient: false, expose: false },
  // S3 objects and notifications.
  NOTIFICATION_MALFORMED: { meaning: 'An S3 event notification is not what S3 sends', transient: false, expose: true },
  NOTIFICATION_VERSION_UNSUPPORTED: { meaning: 'An S3 event notification of an eventVersion this service does not read', transient: false, expose: true },
  SEQUENCER_INVALID: { meaning: 'An S3 event sequencer is not a hex string', transient: false, expose: true },
  OBJECT_UNROUTABLE: { meaning: 'No bucket route maps this object key to a customer and module', transient: false, expose: true },
  OBJECT_UNIDENTIFIED: { meaning: 'The object has neither a version id nor an ETag', transient: true, expose: false },
  OBJECT_MISSING: { meaning: 'The object was deleted after its event', transient: false, expose: true },
  OBJECT_CHANGED: { meaning: 'The object was overwritten after its event', transient: true, expose: true },
  OBJECT_READ_FAILED: { meaning: 'Reading the object failed part-way', transient: true, expose: false },
  OBJECT_TRUNCATED: { meaning: 'Fewer bytes arrived than Content-Length said', transient: true, expose: true },
  S3_UNAVAILABLE: { meaning: 'S3 could not serve the request now (5xx, throttling)', transient: true, expose: false },
  S3_ACCESS_DENIED: { meaning: 'S3 answered 403: the service may not read the object', transient: false, expose: true },
  S3_REQUEST_REJECTED: { meaning: 'S3 refused the request for another reason', transient: false, expose: true },
  S3_EMPTY_RESPONSE: { meaning: 'S3 answered without a body', transient: true, expose: false },
  S3_ABORTED: { meaning: 'Reading from S3 was stopped by a shutdown', transient: true, expose: false },
  // Jobs and archives.
  JOB_TIMEOUT: { meaning: 'The job ran longer than its timeout (recorded by the sweeper)', transient: false, expose: true },
  CANCELLED: { meaning: 'An operator cancelled the job (API, CLI or console)', transient: false, expose: true },
  DISMISSED: { meaning: 'An operator dismissed an unclassified arrival, with the reason in the message', transient: false, expose: true },
  LEASE_EXPIRED: { meaning: "The job's worker stopped renewing its lease on the last attempt (recorded by the sweeper)", transient: false, expose: true },
  NO_ORIGINALS: { meaning: 'Replay skipped: the job has no staged originals', transient: false, expose: true },
  ORIGINALS_MISSING: { meaning: 'Replay skipped: an original is missing from inbox/', transient: false, expose: true },
  ORIGINALS_ON_OTHER_NODE: { meaning: 'Replay skipped: the originals are on another node', transient: false, expose: true },
  ARCHIVE_UNSUPPORTED: { meaning: 'The file is not a .tar.gz/.tgz or .zip archive', transient: false, expose: true },
  ARCHIVE_CORRUPT: { meaning: 'The archive is corrupt or truncated', transient: false, expose: true },
  ARCHIVE_UNSAFE_ENTRIES: { meaning: 'The archive holds unsafe entries (absolute paths, .., links, devices)', transient: false, expose: true },
  ARCHIVE_LIMIT_EXCEEDED: { meaning: 'The archive exceeds an extraction budget (size, entries, ratio)', transient: false, expose: true },
  ARCHIVE_ABORTED: { meaning: 'Reading the archive was cancelled (timeout or shutdown)', transient: true, expose: true },
  ARCHIVE_DESTINATION_CONFLICT: { meaning: 'Something already exists at an extraction path', transient: false, expose: false },
  // Modules (HYDRAstor and Veritas).
  UNKNOWN_TIMEZONE: { meaning: 'A time zone that is not an IANA name', transient: false, expose: true },
  HYDRASTOR_ALERT_INCOMPLETE: { meaning: 'A HYDRAstor alert mail lacks a required field', transient: false, expose: true },
  HYDRASTOR_ALERT_MISSING: { meaning: 'An alert row vanished during its own upsert (a race; retried)', transient: true, expose: false },
  HYDRASTOR_GRID_MISSING: { meaning: 'A grid row vanished while it was used (a race; retried)', transient: true, expose: false },
  HYDRASTOR_BODY_TOO_LARGE: { meaning: 'A HYDRAstor mail body is larger than one can be', transient: false, expose: true },
  HYDRASTOR_TEXT_UNDECODABLE: { meaning: 'Text whose charset is missing, wrong or unknown', transient: false, expose: true },
  HYDRASTOR_REPORT_INCOMPLETE: { meaning: 'A system report lacks a required row or column', transient: false, expose: true },
  HYDRASTOR_REPORT_NO_CONTENT: { meaning: 'A system report mail has neither an attachment nor a body', transient: false, expose: true },
  HYDRASTOR_REPORT_NO_SYSTEM_CSV: { meaning: 'A system report attachment has no system CSV', transient: false, expose: true },
  MANIFEST_INVALID: { meaning: "An export's manifest.json is not valid", transient: false, expose: true },
  MANIFEST_DIGEST_MISMATCH: { meaning: 'An exported file does not match its SHA-256 in manifest.json', transient: false, expose: true },
  EXPORT_ARCHIVE_MISSING: { meaning: 'A Veritas export job has no uploaded archive', transient: false, expose: true },
  EXPORT_FILE_MISSING: { meaning: 'A file listed in manifest.json is not in the archive', transient: false, expose: true },
  EXPORT_FILE_TOO_LARGE: { meaning: 'An export file is larger than the export tool writes', transient: false, expose: true },
  EXPORT_FILE_TWICE: { meaning: 'The archive holds an export file twice', transient: false, expose: true },
  EXPORT_MASTER_UNKNOWN: { meaning: 'The export names no master server', transient: false, expose: true },
  BPDBJOBS_ALL_COLUMNS: { meaning: 'bpdbjobs output in -all_columns form, whose lists shift the fields', transient: false, expose: true },
  VERITAS_MASTER_MISSING: { meaning: 'A master server row vanished during its own upsert (a race; retried)', transient: true, expose: false },
  // Node system errors, wrapped by toIngestError (never exposed: they name internals).
  SYSTEM_ENOSPC: system('No space left on the device', STORAGE_FULL_REPLY),
  SYSTEM_EDQUOT: system('Disk quota exceeded', STORAGE_FULL_REPLY),
  SYSTEM_EIO: system('Input/output error'),
  SYSTEM_EMFILE: system('Too many open files in the process'),
  SYSTEM_ENFILE: system('Too many open files in the system'),
  SYSTEM_EAGAIN: system('Resource temporarily unavailable'),
  SYSTEM_EBUSY: system('Resource busy'),
  SYSTEM_ETIMEDOUT: system('A network operation timed out'),
  SYSTEM_ECONNREFUSED: system('A connection was refused'),
  SYSTEM_ECONNRESET: system('A connection was reset'),
  SYSTEM_EPIPE: system('A connection was closed while writing'),
  SYSTEM_EHOSTUNREACH: system('A host is unreachable'),
  SYSTEM_ENETUNREACH: system('A network is unreachable'),
  SYSTEM_EAI_AGAIN: system('A DNS lookup failed for now'),
} as const satisfies Readonly<Record<string, ErrorCodeSpec>>;

export type ErrorCode = keyof typeof CATALOGUE;
export const ERROR_CODES: Readonly<Record<ErrorCode, ErrorCodeSpec>> = CATALOGUE;

export const ERROR_CODE_LIST: readonly ErrorCode[] = Object.keys(ERROR_CODES) as ErrorCode[];

/** The catalogue entry of a code, or undefined for a string outside the catalogue (an old job row, a foreign error). */
export function errorCodeSpec(code: string): ErrorCodeSpec | undefined {
  return Object.hasOwn(ERROR_CODES, code) ? ERROR_CODES[code as ErrorCode] : undefined;
}
