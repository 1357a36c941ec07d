/**
 * The one error type of the service. Every failure that reaches a transport or a job record is an
 * IngestError with a stable string code; each transport maps codes once (SMTP reply, HTTP status,
 * SQS keep-or-delete) instead of guessing from messages.
 *
 * - `transient`: retrying the same input later may succeed (disk full, database down). Transports
 *   answer 4xx / keep the message; the worker retries with backoff.
 * - `expose`: the message is safe to show to a client (it names no internals and no secrets).
 */
export interface IngestErrorOptions {
  readonly transient?: boolean;
  readonly expose?: boolean;
  readonly cause?: unknown;
  /** Extra structured detail for logs and the job record (never sent to a client unless exposed). */
  readonly details?: Readonly<Record<string, unknown>>;
}

export class IngestError extends Error {
  readonly code: string;
  readonly transient: boolean;
  readonly expose: boolean;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: string, message: string, options: IngestErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'IngestError';
    this.code = code;
    this.transient = options.transient ?? false;
    this.expose = options.expose ?? false;
    this.details = options.details;
  }
}

export function isIngestError(error: unknown): error is IngestError {
  return error instanceof IngestError;
}

/** Node system error codes that mean "try again later", not "this input is bad". */
const TRANSIENT_SYSTEM_CODES = new Set([
  'ENOSPC', 'EDQUOT', 'EIO', 'EMFILE', 'ENFILE', 'EAGAIN', 'EBUSY', 'ETIMEDOUT',
  'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN',
]);

/** PostgreSQL SQLSTATE classes that are worth a retry (connection, resources, serialization). */
const TRANSIENT_SQLSTATE_PREFIXES = ['08', '53', '57P', '40001', '40P01', '55P03'];

/**
 * Turns anything thrown into an IngestError, keeping IngestErrors as they are. Unknown errors
 * become `INTERNAL` (transient, since a bug fix or restart may help) with their message kept for
 * the job record but not exposed to clients.
 */
export function toIngestError(error: unknown): IngestError {
  if (error instanceof IngestError) return error;
  const code = typeof (error as { code?: unknown })?.code === 'string' ? (error as { code: string }).code : undefined;
  const message = error instanceof Error ? error.message : String(error);
  if (code !== undefined && TRANSIENT_SYSTEM_CODES.has(code)) {
    return new IngestError(`SYSTEM_${code}`, message, { transient: true, cause: error });
  }
  if (code !== undefined && /^[0-9A-Z]{5}$/.test(code) && TRANSIENT_SQLSTATE_PREFIXES.some((p) => code.startsWith(p))) {
    return new IngestError('DATABASE_UNAVAILABLE', message, { transient: true, cause: error });
  }
  if (code !== undefined && /^[0-9A-Z]{5}$/.test(code)) {
    return new IngestError('DATABASE_ERROR', message, { transient: false, cause: error, details: { sqlstate: code } });
  }
  return new IngestError('INTERNAL', message, { transient: true, cause: error });
}
