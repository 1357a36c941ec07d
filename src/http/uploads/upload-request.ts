import { randomUUID } from 'node:crypto';
import type { ParameterizedContext } from 'koa';
import type { ApiKeyIdentity } from '../../db/api-keys-repository.js';
import type { AuthState } from '../auth.js';
import { badRequest, forbidden } from '../http-error.js';
import { parseInput, queryOf } from '../parse-input.js';
import { uploadIdPattern, uploadPathParams, uploadQuerySchema } from './uploads-schemas.js';

/** Printable ASCII, like the trigger's keys (and Stripe's and the IETF draft's). */
const IDEMPOTENCY_KEY_HEADER = /^[\x21-\x7e]{1,255}$/;

/** Everything a direct upload says besides its body, checked before a byte of the body is read. */
export interface UploadRequest {
  readonly customer: string;
  readonly category: string;
  readonly type: string;
  readonly group: string | undefined;
  readonly fileName: string | undefined;
  readonly uploadId: string;
  readonly idempotencyKeyHeader: string | undefined;
  /** The request's Content-Length, when it sent one (chunked bodies do not). */
  readonly contentLength: number | undefined;
}

/**
 * Reads the path, the query (`customer`, `group`, `filename`) and the headers (`X-Customer`,
 * `X-Group`, `X-File-Name`, `Upload-Id`, `Idempotency-Key`) of `POST /uploads/:category/:type`.
 * A value given both ways must agree. A customer key uploads for its own customer only (another
 * is 403); an admin key must name the customer.
 */
export function parseUploadRequest(ctx: ParameterizedContext<AuthState, { params: Record<string, string> }>): UploadRequest {
  const { category, type } = parseInput(uploadPathParams, ctx.params, 'query');
  const fromQuery = parseInput(uploadQuerySchema, queryOf(ctx), 'query');
  const fromHeaders = parseInput(
    uploadQuerySchema,
    {
      ...headerValue(ctx, 'X-Customer', 'customer'),
      ...headerValue(ctx, 'X-Group', 'group'),
      ...headerValue(ctx, 'X-File-Name', 'filename'),
    },
    'query',
  );
  const pick = (name: 'customer' | 'group' | 'filename'): string | undefined => {
    const [query, header] = [fromQuery[name], fromHeaders[name]];
    if (query !== undefined && header !== undefined && query !== header) throw badRequest(name, 'the query parameter and the header disagree');
    return query ?? header;
  };
  const customer = scopedCustomer(ctx.state.caller, pick('customer'));

  const idempotencyKeyHeader = ctx.get('Idempotency-Key');
  if (idempotencyKeyHeader !== '' && !IDEMPOTENCY_KEY_HEADER.test(idempotencyKeyHeader))
    throw badRequest('Idempotency-Key', 'must be 1 to 255 printable ASCII characters');
  const uploadIdHeader = ctx.get('Upload-Id');
  if (uploadIdHeader !== '' && !uploadIdPattern.test(uploadIdHeader)) throw badRequest('Upload-Id', 'must be 8 to 64 of A-Z a-z 0-9 _ -');
  const contentLength = ctx.request.length;

  return {
    customer,
    category,
    type,
    group: pick('group'),
    fileName: pick('filename'),
    uploadId: uploadIdHeader === '' ? randomUUID() : uploadIdHeader,
    idempotencyKeyHeader: idempotencyKeyHeader === '' ? undefined : idempotencyKeyHeader,
    contentLength: typeof contentLength === 'number' && Number.isFinite(contentLength) ? contentLength : undefined,
  };
}

/** The customer an upload or presign is for: a customer key's own; an admin key must say. */
export function scopedCustomer(caller: ApiKeyIdentity, requested: string | undefined): string {
  if (caller.role === 'admin') {
    if (requested === undefined) throw badRequest('customer', 'is required with an admin key (query customer=… or header X-Customer)');
    return requested;
  }
  const own = caller.customer ?? '';
  if (requested !== undefined && requested !== own) throw forbidden(`this API key may upload for customer "${own}" only`);
  return own;
}

function headerValue(ctx: ParameterizedContext, header: string, name: string): Record<string, string> {
  const value = ctx.get(header);
  return value === '' ? {} : { [name]: value };
}
