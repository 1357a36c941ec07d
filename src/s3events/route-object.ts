import { IngestError } from '../core/ingest-error.js';

/** One bucket (optionally one prefix inside it) mapped to the module that parses its uploads. */
export interface S3Route {
  readonly bucket: string;
  readonly category: string;
  readonly type: string;
  /** Keys must sit under this folder (`uploads` and `uploads/` mean the same); absent = bucket root. */
  readonly prefix?: string;
}

export interface RoutedObject {
  readonly category: string;
  readonly type: string;
  readonly customer: string;
  /** The grid segment of the key: group = grid for uploads. */
  readonly group: string;
  readonly fileName: string;
}

export interface RoutedSeedPath extends RoutedObject {
  readonly bucket: string;
  /** The object key to fetch (the `s3_path` without leading slashes). */
  readonly key: string;
}

/** The seed's key convention after the prefix: `<customer>/<grid>/<file>`. */
const KEY_SEGMENT_COUNT = 3;
/** A segment becomes a directory or file name when staged: NAME_MAX on Linux. */
const MAX_SEGMENT_BYTES = 255;
/** How much of a bad key an error message quotes; keys may be up to 1,024 bytes. */
const MAX_QUOTED_KEY_CHARS = 200;
const CONTROL_CHARACTER = /[\u0000-\u001F\u007F-\u009F]/;
const URL_SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;

/**
 * Maps an uploaded object to its module and staging identity from the bucket → module routes in
 * config and the key convention `<customer>/<grid>/<file>` (after the route's prefix, if any).
 * When several routes share a bucket, the longest matching prefix wins.
 *
 * Throws `OBJECT_UNROUTABLE` for an unmapped bucket or a key that does not fit: wrong number of
 * segments, an empty, `.` or `..` segment, control characters, or a segment too long to stage.
 * The key is never rewritten to make it fit: a guess would file data under the wrong customer.
 */
export function routeObject(args: { readonly bucket: string; readonly key: string; readonly routes: readonly S3Route[] }): RoutedObject {
  const { bucket, key } = args;
  const bucketRoutes = args.routes.filter((route) => route.bucket === bucket);
  if (bucketRoutes.length === 0) {
    throw unroutable(bucket, key, `bucket ${JSON.stringify(bucket)} is not mapped to any module`);
  }
  const matched = longestPrefixRoute(bucketRoutes, key);
  if (matched === undefined) {
    const prefixes = bucketRoutes.map((route) => JSON.stringify(`${normalizePrefix(route.prefix)}/`)).join(', ');
    throw unroutable(bucket, key, `key is not under a configured prefix (${prefixes})`);
  }
  const { route, prefix } = matched;
  const segments = key.slice(prefix === '' ? 0 : prefix.length + 1).split('/');
  const expected = `${prefix === '' ? '' : `${prefix}/`}<customer>/<grid>/<file>`;
  if (segments.length !== KEY_SEGMENT_COUNT) {
    throw unroutable(bucket, key, `key has ${segments.length} segment(s) after the prefix, expected ${expected}`);
  }
  const [customer = '', group = '', fileName = ''] = segments;
  for (const [name, segment] of [
    ['customer', customer],
    ['grid', group],
    ['file', fileName],
  ] as const) {
    const problem = segmentProblem(segment);
    if (problem !== undefined) throw unroutable(bucket, key, `${name} segment ${problem}, expected ${expected}`);
  }
  return { category: route.category, type: route.type, customer, group, fileName };
}

/**
 * Applies the same rules to the seed REST trigger's `s3_path`: a path within the bucket, without
 * the bucket name. Leading slashes are tolerated (people type them); URLs are refused so the
 * request cannot point at another bucket or host.
 */
export function parseSeedS3Path(args: { readonly s3Path: string; readonly bucket: string; readonly routes: readonly S3Route[] }): RoutedSeedPath {
  const { s3Path, bucket, routes } = args;
  if (URL_SCHEME.test(s3Path)) {
    throw unroutable(bucket, s3Path, 's3_path must be a path within the bucket, not a URL');
  }
  const key = s3Path.replace(/^\/+/, '');
  if (key.startsWith(`${bucket}/`) && key.split('/').length > KEY_SEGMENT_COUNT) {
    throw unroutable(bucket, key, `s3_path must not start with the bucket name ${JSON.stringify(bucket)}`);
  }
  return { ...routeObject({ bucket, key, routes }), bucket, key };
}

function longestPrefixRoute(routes: readonly S3Route[], key: string): { readonly route: S3Route; readonly prefix: string } | undefined {
  let best: { route: S3Route; prefix: string } | undefined;
  for (const route of routes) {
    const prefix = normalizePrefix(route.prefix);
    const fits = prefix === '' || key.startsWith(`${prefix}/`);
    if (fits && (best === undefined || prefix.length > best.prefix.length)) best = { route, prefix };
  }
  return best;
}

function normalizePrefix(prefix: string | undefined): string {
  return (prefix ?? '').replace(/^\/+|\/+$/g, '');
}

function segmentProblem(segment: string): string | undefined {
  if (segment.trim() === '') return 'is empty';
  if (segment === '.' || segment === '..') return `is ${JSON.stringify(segment)}`;
  if (CONTROL_CHARACTER.test(segment)) return 'contains a control character';
  if (Buffer.byteLength(segment, 'utf8') > MAX_SEGMENT_BYTES) return `is longer than ${MAX_SEGMENT_BYTES} bytes`;
  return undefined;
}

function unroutable(bucket: string, key: string, problem: string): IngestError {
  const quotedKey = JSON.stringify(key.slice(0, MAX_QUOTED_KEY_CHARS));
  return new IngestError('OBJECT_UNROUTABLE', `object ${quotedKey} in bucket ${JSON.stringify(bucket)} cannot be routed: ${problem}`, {
    details: { bucket, key },
  });
}
