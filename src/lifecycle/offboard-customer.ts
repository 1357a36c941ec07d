import type { Kysely } from 'kysely';
import type { ArchiveS3Settings } from '../config/retention-schema.js';
import { IngestError } from '../core/ingest-error.js';
import { findCustomerBySlug } from '../db/customers-repository.js';
import type { Database } from '../db/database-schema.js';
import { countCustomerRows, findCustomerDataTables, purgeCustomerRows } from '../db/offboard-repository.js';
import type { Area } from '../pipeline/paths.js';
import { countCustomerFiles, removeCustomerFiles, type FileCount } from './offboard-files.js';
import { customerArchivePrefixes, removeCustomerArchiveObjects, withBucketObjects } from './offboard-objects.js';
import { checkOffboardToken, OFFBOARD_TOKEN_TTL_SECONDS, offboardToken } from './offboard-token.js';

export interface OffboardDeps {
  readonly db: Kysely<Database>;
  readonly dataRoot: string;
  /** Where archive copies live (`archive.root`, else `<dataRoot>/archive`): the customer's folder there goes too. */
  readonly archiveRoot: string;
  /** The bucket tier (`archive.s3`): its objects are counted in, and removed with, `files.archive`. */
  readonly archiveS3?: ArchiveS3Settings | null;
  readonly now?: () => Date;
}

export interface OffboardPlan {
  readonly slug: string;
  /** A purge needs the customer disabled first (no arrival can then race it). */
  readonly disabled: boolean;
  /** Rows per table that the purge would remove (tables without any left out). */
  readonly rows: Readonly<Record<string, number>>;
  readonly files: Readonly<Record<Area, FileCount>>;
  /** Give this to the purge: it stands for exactly these row counts until `expiresAt`. */
  readonly token: string;
  readonly expiresAt: Date;
}

export interface OffboardResult {
  readonly slug: string;
  readonly rows: Readonly<Record<string, number>>;
  readonly files: Readonly<Record<Area, FileCount>>;
}

/** The dry run: what a purge of the customer would remove, and the token that confirms it. Undefined: no such customer. */
export async function planOffboarding(deps: OffboardDeps, slug: string): Promise<OffboardPlan | undefined> {
  const customer = await findCustomerBySlug(deps.db, slug);
  if (customer === undefined) return undefined;
  const rows = await countCustomerRows(deps.db, slug, await findCustomerDataTables(deps.db));
  const expiresAt = new Date((deps.now?.() ?? new Date()).getTime() + OFFBOARD_TOKEN_TTL_SECONDS * 1000);
  return {
    slug,
    disabled: customer.disabled_at !== null,
    rows,
    files: withBucketObjects(
      await countCustomerFiles(deps, slug),
      await removeCustomerArchiveObjects(deps.archiveS3 ?? null, await customerArchivePrefixes(deps.db, deps.archiveS3 ?? null, slug), true),
    ),
    token: offboardToken({ slug, counts: rows, expiresAt }),
    expiresAt,
  };
}

/**
 * Removes a disabled customer for good: its rows in every table (one transaction, refused while
 * one of its jobs is staged or run), then its folders in inbox, tmp and archive, and its objects
 * in the archive bucket (`<prefix><slug>/`, and the prefixes its rows recorded). The token of a
 * dry run must still match the data. Files go after the commit: a crash in between leaves files
 * without rows, which a second purge (of a customer re-added with that slug) or an operator
 * removes; the reverse would leave rows pointing at files that are gone.
 */
export async function purgeCustomer(deps: OffboardDeps, args: { readonly slug: string; readonly token: string }): Promise<OffboardResult | undefined> {
  const now = deps.now?.() ?? new Date();
  const archiveS3 = deps.archiveS3 ?? null;
  const prefixes = await customerArchivePrefixes(deps.db, archiveS3, args.slug);
  const rows = await purgeCustomerRows(deps.db, {
    slug: args.slug,
    confirm: ({ counts, disabled }) => {
      if (!disabled)
        throw new IngestError(
          'CUSTOMER_ENABLED',
          `customer "${args.slug}" is enabled: disable it first (DELETE without purge), so no arrival races the purge`,
          { expose: true },
        );
      const check = checkOffboardToken(args.token, { slug: args.slug, counts, now });
      if (check === 'malformed')
        throw new IngestError('CONFIRMATION_INVALID', 'confirm: is not a token from a dry run (purge=true&dryRun=true)', { expose: true });
      if (check !== 'valid') {
        throw new IngestError(
          'CONFIRMATION_STALE',
          `confirm: ${check === 'expired' ? 'the dry run expired' : 'the data changed since the dry run, or the token is another customer’s'}; dry-run again`,
          { expose: true, details: { counts } },
        );
      }
    },
  });
  if (rows === undefined) return undefined;
  const files = await removeCustomerFiles(deps, args.slug);
  return { slug: args.slug, rows, files: withBucketObjects(files, await removeCustomerArchiveObjects(archiveS3, prefixes, false)) };
}
