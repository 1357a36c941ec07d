import { IngestError } from '../../core/ingest-error.js';
import { routeObject, type S3Route } from '../../s3events/route-object.js';

export interface UploadObjectTarget {
  readonly bucket: string;
  readonly key: string;
}

/**
 * Where a client should put a file so that its S3 notification starts the right job: the first
 * `s3.routes` entry of the module, key `[<prefix>/]<customer>/<group>/<file>`. The key is checked
 * by routing it back (routeObject): it must come back as the same module, customer, group and
 * file, or the upload would later be refused or filed elsewhere (a longer prefix of another
 * module in the same bucket, a segment S3 keys cannot carry). OBJECT_UNROUTABLE otherwise.
 */
export function objectKeyForUpload(args: {
  readonly routes: readonly S3Route[];
  readonly category: string;
  readonly type: string;
  readonly customer: string;
  readonly group: string;
  readonly fileName: string;
}): UploadObjectTarget {
  const moduleKey = `${args.category}/${args.type}`;
  const candidates = args.routes.filter((route) => route.category === args.category && route.type === args.type);
  if (candidates.length === 0) {
    throw new IngestError('OBJECT_UNROUTABLE', `no bucket is configured for ${moduleKey} (s3.routes)`);
  }
  let problem: IngestError | undefined;
  for (const route of candidates) {
    const prefix = (route.prefix ?? '').replace(/^\/+|\/+$/g, '');
    const key = [prefix, args.customer, args.group, args.fileName].filter((segment) => segment !== '').join('/');
    try {
      const routed = routeObject({ bucket: route.bucket, key, routes: args.routes });
      const same =
        routed.category === args.category &&
        routed.type === args.type &&
        routed.customer === args.customer &&
        routed.group === args.group &&
        routed.fileName === args.fileName;
      if (same) return { bucket: route.bucket, key };
      problem ??= new IngestError('OBJECT_UNROUTABLE', `s3://${route.bucket}/${key} would be routed to ${routed.category}/${routed.type}, not ${moduleKey}`);
    } catch (error) {
      if (!(error instanceof IngestError) || error.code !== 'OBJECT_UNROUTABLE') throw error;
      problem ??= error;
    }
  }
  throw problem ?? new IngestError('OBJECT_UNROUTABLE', `no usable bucket for ${moduleKey}`);
}
