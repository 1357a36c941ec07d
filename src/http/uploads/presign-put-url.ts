import type { S3Client } from '@aws-sdk/client-s3';
import { IngestError } from '../../core/ingest-error.js';

export interface PresignPutArgs {
  readonly s3: S3Client;
  readonly bucket: string;
  readonly key: string;
  /** Signed: the PUT must carry exactly this Content-Length, so the size checked here is the size stored. */
  readonly contentLength: number;
  readonly expiresInSeconds: number;
  readonly now?: Date;
}

export interface PresignedPut {
  readonly url: string;
  /** Headers the PUT must send as they are (every HTTP client sends Content-Length by itself). */
  readonly headers: Readonly<Record<string, string>>;
  readonly expiresAt: Date;
}

/** SDK bookkeeping headers that must not end up in a URL handed to someone else. */
const SDK_ONLY_HEADERS = ['amz-sdk-invocation-id', 'amz-sdk-request', 'x-amz-user-agent', 'user-agent'];
const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';

interface SignableRequest {
  protocol: string;
  hostname: string;
  port?: number;
  path: string;
  headers: Record<string, string>;
  query: Record<string, string | string[] | null>;
}

interface Presigner {
  presign(request: SignableRequest, options: Record<string, unknown>): Promise<SignableRequest>;
}

/**
 * A presigned S3 PUT URL (SigV4, query-string auth), made the way @aws-sdk/s3-request-presigner
 * makes it but with the client's own signer, so no extra package is needed: the PutObject request
 * is built by the client's middleware stack (endpoint, path style, key encoding), intercepted just
 * before it would be signed and sent, and presigned instead. Nothing goes over the network.
 * Checksum headers the SDK adds for an empty body are dropped: they would bind the URL to 0 bytes.
 */
export async function presignPutUrl(args: PresignPutArgs): Promise<PresignedPut> {
  const { s3 } = args;
  const signingDate = args.now ?? new Date();
  // The caller made the client, so this import only looks the loaded SDK up.
  const { PutObjectCommand } = await import('@aws-sdk/client-s3');
  const command = new PutObjectCommand({ Bucket: args.bucket, Key: args.key, ContentLength: args.contentLength });
  const stack = s3.middlewareStack.clone();
  stack.addRelativeTo(
    (_next: unknown, context: Record<string, unknown>) => async (handlerArgs: { request: unknown }) => {
      const request = handlerArgs.request as SignableRequest;
      for (const name of Object.keys(request.headers)) {
        const lower = name.toLowerCase();
        if (SDK_ONLY_HEADERS.includes(lower) || lower.startsWith('x-amz-checksum-') || lower === 'x-amz-sdk-checksum-algorithm') delete request.headers[name];
      }
      for (const name of Object.keys(request.query))
        if (name.toLowerCase().startsWith('x-amz-checksum-') || name.toLowerCase() === 'x-amz-sdk-checksum-algorithm') delete request.query[name];
      request.headers['x-amz-content-sha256'] = UNSIGNED_PAYLOAD;
      request.headers.host = `${request.hostname}${request.port === undefined ? '' : `:${request.port}`}`;
      const authScheme = (context.endpointV2 as { properties?: { authSchemes?: Array<Record<string, unknown>> } } | undefined)?.properties?.authSchemes?.[0];
      const signer = await (s3.config.signer as unknown as (scheme?: unknown) => Promise<Presigner>)(authScheme);
      const presigned = await signer.presign(request, {
        expiresIn: args.expiresInSeconds,
        signingDate,
        unsignableHeaders: new Set(['content-type']),
        ...(typeof context.signing_region === 'string' ? { signingRegion: context.signing_region } : {}),
        ...(typeof context.signing_service === 'string' ? { signingService: context.signing_service } : {}),
      });
      return { response: {}, output: { $metadata: {}, presigned } };
    },
    { name: 'presignPutUrlMiddleware', relation: 'before', toMiddleware: 'awsAuthMiddleware', override: true },
  );
  let presigned: SignableRequest;
  try {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the cloned stack's handler types are the client's own
    const handler = command.resolveMiddleware(stack as any, s3.config, {});
    presigned = ((await handler({ input: command.input })).output as unknown as { presigned: SignableRequest }).presigned;
  } catch (error) {
    const name = (error as Error | undefined)?.name ?? '';
    if (name === 'CredentialsProviderError' || /credential/i.test((error as Error | undefined)?.message ?? '')) {
      throw new IngestError('S3_CREDENTIALS_MISSING', 'presigning is unavailable: the service has no S3 credentials', { cause: error });
    }
    throw error;
  }
  return {
    url: formatUrl(presigned),
    headers: { 'Content-Length': String(args.contentLength) },
    expiresAt: new Date(signingDate.getTime() + args.expiresInSeconds * 1000),
  };
}

function formatUrl(request: SignableRequest): string {
  const query = Object.entries(request.query)
    .flatMap(([name, value]) => (value === null ? [escape(name)] : (Array.isArray(value) ? value : [value]).map((item) => `${escape(name)}=${escape(item)}`)))
    .join('&');
  const port = request.port === undefined ? '' : `:${request.port}`;
  return `${request.protocol}//${request.hostname}${port}${request.path}${query === '' ? '' : `?${query}`}`;
}

/** RFC 3986: what SigV4 signed is exactly what the URL carries. */
function escape(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`);
}
