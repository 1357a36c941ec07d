import { IngestError, toIngestError } from '../core/ingest-error.js';

/** HTTP status for each error code the API can meet; anything else is a 500 with a generic message. */
const STATUS_BY_CODE: Readonly<Record<string, number>> = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  ROUTE_TAKEN: 409,
  METHOD_NOT_ALLOWED: 405,
  REQUEST_TIMEOUT: 408,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  CUSTOMER_UNKNOWN: 400,
  CUSTOMER_DISABLED: 403,
  CUSTOMER_ENABLED: 409,
  CUSTOMER_BUSY: 409,
  CONFIRMATION_REQUIRED: 400,
  CONFIRMATION_INVALID: 400,
  CONFIRMATION_STALE: 409,
  MODULE_UNKNOWN: 400,
  ARRIVAL_TOO_LARGE: 413,
  ARRIVAL_IN_PROGRESS: 409,
  DATABASE_UNAVAILABLE: 503,
};

export interface ErrorResponse {
  readonly status: number;
  readonly body: { readonly error: { readonly code: string; readonly message: string } };
}

/** The one place an error becomes an HTTP answer: codes map to statuses, messages only when exposable. */
export function errorResponse(thrown: unknown): ErrorResponse {
  // System and PostgreSQL errors (they carry a string code) say whether a retry may help: a
  // database outage is a 503, not a 500. Their messages are never exposed.
  const code = (thrown as { code?: unknown } | null)?.code;
  const error = !(thrown instanceof IngestError) && typeof code === 'string' && (thrown as { status?: unknown }).status === undefined ? toIngestError(thrown) : thrown;
  if (error instanceof IngestError) {
    const status = STATUS_BY_CODE[error.code] ?? (error.transient ? 503 : 500);
    const message = error.expose ? error.message : status === 503 ? 'the service is temporarily unavailable; try again' : 'internal error';
    // Internal codes (SYSTEM_ECONNREFUSED, DATABASE_ERROR…) name internals: clients get a generic one.
    const code = error.expose || STATUS_BY_CODE[error.code] !== undefined ? error.code : status === 503 ? 'UNAVAILABLE' : 'INTERNAL';
    return { status, body: { error: { code, message } } };
  }
  const httpStatus = (error as { status?: unknown }).status;
  if (typeof httpStatus === 'number' && httpStatus >= 400 && httpStatus < 500 && (error as { expose?: unknown }).expose === true) {
    // Errors raised by Koa itself (body too large, malformed JSON) carry a safe status and message.
    return { status: httpStatus, body: { error: { code: codeForStatus(httpStatus), message: (error as Error).message } } };
  }
  return { status: 500, body: { error: { code: 'INTERNAL', message: 'internal error' } } };
}

export function badRequest(field: string, message: string): IngestError {
  return new IngestError('BAD_REQUEST', `${field}: ${message}`, { expose: true, details: { field } });
}

export function notFound(what: string): IngestError {
  return new IngestError('NOT_FOUND', `${what} not found`, { expose: true });
}

export function conflict(message: string, details?: Readonly<Record<string, unknown>>): IngestError {
  return new IngestError('CONFLICT', message, { expose: true, ...(details === undefined ? {} : { details }) });
}

export function forbidden(message: string): IngestError {
  return new IngestError('FORBIDDEN', message, { expose: true });
}

/** The code for a bare status (Koa's own errors such as a malformed JSON body, the router's 405/501). */
const CODE_BY_STATUS: Readonly<Record<number, string>> = {
  400: 'BAD_REQUEST', 401: 'UNAUTHORIZED', 403: 'FORBIDDEN', 404: 'NOT_FOUND', 405: 'METHOD_NOT_ALLOWED', 408: 'REQUEST_TIMEOUT', 409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE', 415: 'UNSUPPORTED_MEDIA_TYPE', 429: 'RATE_LIMITED', 501: 'NOT_IMPLEMENTED', 503: 'UNAVAILABLE',
};

export function codeForStatus(status: number): string {
  return CODE_BY_STATUS[status] ?? (status >= 500 ? 'INTERNAL' : 'BAD_REQUEST');
}
