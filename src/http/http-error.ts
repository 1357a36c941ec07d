import { errorCodeSpec, type ErrorCode } from '../core/error-codes.js';
import { IngestError, toIngestError } from '../core/ingest-error.js';

export interface ErrorResponse {
  readonly status: number;
  readonly body: { readonly error: { readonly code: string; readonly message: string } };
}

/** The one place an error becomes an HTTP answer: codes map to statuses, messages only when exposable. */
export function errorResponse(thrown: unknown): ErrorResponse {
  // System and PostgreSQL errors (they carry a string code) say whether a retry may help: a
  // database outage is a 503, not a 500. Their messages are never exposed.
  const code = (thrown as { code?: unknown } | null)?.code;
  const error =
    !(thrown instanceof IngestError) && typeof code === 'string' && (thrown as { status?: unknown }).status === undefined ? toIngestError(thrown) : thrown;
  if (error instanceof IngestError) {
    // The catalogue's status for the code; a code without one is not a client answer: 503 or 500.
    const ownStatus = errorCodeSpec(error.code)?.http;
    const status = ownStatus ?? (error.transient ? 503 : 500);
    const message = error.expose ? error.message : status === 503 ? 'the service is temporarily unavailable; try again' : 'internal error';
    // Internal codes (SYSTEM_ECONNREFUSED, DATABASE_ERROR…) name internals: clients get a generic one.
    const code = error.expose || ownStatus !== undefined ? error.code : status === 503 ? 'UNAVAILABLE' : 'INTERNAL';
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
  return new IngestError('BAD_REQUEST', `${field}: ${message}`, { details: { field } });
}

export function notFound(what: string): IngestError {
  return new IngestError('NOT_FOUND', `${what} not found`);
}

export function conflict(message: string, details?: Readonly<Record<string, unknown>>): IngestError {
  return new IngestError('CONFLICT', message, details === undefined ? {} : { details });
}

export function forbidden(message: string): IngestError {
  return new IngestError('FORBIDDEN', message);
}

/** The code for a bare status (Koa's own errors such as a malformed JSON body, the router's 405/501). */
const CODE_BY_STATUS: Readonly<Record<number, ErrorCode>> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  408: 'REQUEST_TIMEOUT',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
  501: 'NOT_IMPLEMENTED',
  503: 'UNAVAILABLE',
};

export function codeForStatus(status: number): ErrorCode {
  return CODE_BY_STATUS[status] ?? (status >= 500 ? 'INTERNAL' : 'BAD_REQUEST');
}
