import { errorCodeSpec, TRANSIENT_SYSTEM_CODES, type ErrorCode } from './error-codes.js';

/**
 * The one error type of the service. Every failure that reaches a transport or a job record is an
 * IngestError with a code from the catalogue (error-codes.ts); each transport maps codes once
 * (SMTP reply, HTTP status, SQS keep-or-delete) instead of guessing from messages.
 *
 * - `transient`: retrying the same input later may succeed (disk full, database down). Transports
 *   answer 4xx / keep the message; the worker retries with backoff.
 * - `expose`: the message is safe to show to a client (it names no internals and no secrets).
 *
 * Both default to the catalogue's entry for the code. A call site overrides them only where the
 * same code genuinely means something else there; the overrides today:
 * - `toIngestError` flags an unclassified thrown error `INTERNAL` *transient* (a restart or a fix
 *   may help a fault we did not foresee), while an `INTERNAL` raised on purpose is a bug: permanent.
 * - a wrapper that re-raises an error under its own message keeps the original's flags
 *   (src/modules/hydrastor/system_report/read-report-archive.ts).
 * - tests flag codes otherwise to prove the transports follow the flags, not the code.
 */
export interface IngestErrorOptions {
  readonly transient?: boolean;
  readonly expose?: boolean;
  readonly cause?: unknown;
  /** Extra structured detail for logs and the job record (never sent to a client unless exposed). */
  readonly details?: Readonly<Record<string, unknown>>;
}

export class IngestError extends Error {
  readonly code: ErrorCode;
  readonly transient: boolean;
  readonly expose: boolean;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: ErrorCode, message: string, options: IngestErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'IngestError';
    this.code = code;
    // The lookup tolerates a code outside the catalogue (one forced past the type, or read back from a job row).
    const spec = errorCodeSpec(code);
    this.transient = options.transient ?? spec?.transient ?? false;
    this.expose = options.expose ?? spec?.expose ?? false;
    this.details = options.details;
  }
}

export function isIngestError(error: unknown): error is IngestError {
  return error instanceof IngestError;
}

type TransientSystemCode = (typeof TRANSIENT_SYSTEM_CODES)[number];
const TRANSIENT_SYSTEM_CODE_SET: ReadonlySet<string> = new Set(TRANSIENT_SYSTEM_CODES);

/** PostgreSQL SQLSTATE classes that are worth a retry (connection, resources, serialization). */
const TRANSIENT_SQLSTATE_PREFIXES = ['08', '53', '57P', '40001', '40P01', '55P03'];

/**
 * Turns anything thrown into an IngestError, keeping IngestErrors as they are. Unknown errors
 * become `INTERNAL` (flagged transient, since a bug fix or restart may help) with their message
 * kept for the job record but not exposed to clients.
 */
export function toIngestError(error: unknown): IngestError {
  if (error instanceof IngestError) return error;
  const code = typeof (error as { code?: unknown })?.code === 'string' ? (error as { code: string }).code : undefined;
  const message = error instanceof Error ? error.message : String(error);
  if (code !== undefined && TRANSIENT_SYSTEM_CODE_SET.has(code)) {
    return new IngestError(`SYSTEM_${code as TransientSystemCode}`, message, { cause: error });
  }
  if (code !== undefined && /^[0-9A-Z]{5}$/.test(code) && TRANSIENT_SQLSTATE_PREFIXES.some((p) => code.startsWith(p))) {
    return new IngestError('DATABASE_UNAVAILABLE', message, { cause: error });
  }
  if (code !== undefined && /^[0-9A-Z]{5}$/.test(code)) {
    return new IngestError('DATABASE_ERROR', message, { cause: error, details: { sqlstate: code } });
  }
  return new IngestError('INTERNAL', message, { transient: true, cause: error });
}
