import { IngestError } from '../pipeline/ingest-error.js';

/** HTTP status for each error code the API can meet; anything else is a 500 with a generic message. */
const STATUS_BY_CODE: Readonly<Record<string, number>> = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  CUSTOMER_UNKNOWN: 400,
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
export function errorResponse(error: unknown): ErrorResponse {
  if (error instanceof IngestError) {
    const status = STATUS_BY_CODE[error.code] ?? (error.transient ? 503 : 500);
    const message = error.expose ? error.message : status === 503 ? 'the service is temporarily unavailable; try again' : 'internal error';
    return { status, body: { error: { code: error.code, message } } };
  }
  const httpStatus = (error as { status?: unknown }).status;
  if (typeof httpStatus === 'number' && httpStatus >= 400 && httpStatus < 500 && (error as { expose?: unknown }).expose === true) {
    // Errors raised by Koa itself (body too large, malformed JSON) carry a safe status and message.
    return { status: httpStatus, body: { error: { code: httpStatus === 413 ? 'PAYLOAD_TOO_LARGE' : 'BAD_REQUEST', message: (error as Error).message } } };
  }
  return { status: 500, body: { error: { code: 'INTERNAL', message: 'internal error' } } };
}

export function badRequest(field: string, message: string): IngestError {
  return new IngestError('BAD_REQUEST', `${field}: ${message}`, { expose: true, details: { field } });
}

export function notFound(what: string): IngestError {
  return new IngestError('NOT_FOUND', `${what} not found`, { expose: true });
}
