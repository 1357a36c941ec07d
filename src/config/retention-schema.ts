import { z } from 'zod';

/** Longest window that can be configured: a century (longer means "keep", which is `null`). */
const MAX_RETENTION_DAYS = 36_500;

/** Days since a job ended (or, unclassified, since it arrived); null keeps for ever. Fractions are allowed. */
const days = z.number().nonnegative().max(MAX_RETENTION_DAYS).nullable();

/** One window per kind of data the service holds (docs/operations.md, "Retention"). */
const windowShape = {
  /** inbox/ originals of final jobs that have no archive copy: the only copy, so kept unless set. */
  inboxDays: days,
  /** inbox/ originals of final jobs whose archive copy exists (the copy stays). */
  inboxDaysWhenArchived: days,
  /** archive/ copies of final jobs. */
  archiveDays: days,
  /** Job rows with their events (and whatever files of the job are still kept when every window allows it). */
  jobDays: days,
  /** Refused-arrival records: failed jobs recorded for an arrival that could never run (S3 object gone, too large), with their note. */
  failedArrivalDays: days,
  /** Unclassified arrivals (no module recognised them): the row and the original, counted from arrival. */
  unclassifiedDays: days,
};
export const RETENTION_KINDS = ['inbox', 'archive', 'jobs', 'failedArrivals', 'unclassified'] as const;
export type RetentionKind = (typeof RETENTION_KINDS)[number];

const retentionWindowsSchema = z.strictObject(windowShape);
const retentionOverrideSchema = z
  .strictObject({
    customer: z.string().min(1).max(63).exactOptional(),
    module: z
      .string()
      .regex(/^[a-z0-9_]+\/[a-z0-9_]+$/, 'must be "<category>/<type>"')
      .exactOptional(),
    ...(Object.fromEntries(Object.entries(windowShape).map(([key, schema]) => [key, schema.exactOptional()])) as {
      [K in keyof typeof windowShape]: ReturnType<(typeof windowShape)[K]['exactOptional']>;
    }),
  })
  .refine((rule) => rule.customer !== undefined || rule.module !== undefined, { message: 'an override names a customer, a module or both' });

/**
 * `retention`: how long each kind of data is kept, with overrides per customer and module
 * (customer and module > customer > module > defaults, per window), and the purge that applies it.
 */
export const retentionSchema = z.strictObject({
  /** Runs the purge inside the service on its schedule; the CLI and API run it on request either way. */
  enabled: z.boolean(),
  intervalSeconds: z
    .number()
    .int()
    .positive()
    .max(7 * 24 * 3600),
  /** Jobs handled per transaction: bounds the locks and the I/O of each step. */
  batchSize: z.number().int().positive().max(10_000),
  /** Rest between batches, so a purge never saturates the disk that accepts mail. */
  pauseMs: z.number().int().nonnegative().max(60_000),
  defaults: retentionWindowsSchema,
  overrides: z.array(retentionOverrideSchema),
});

/**
 * `archive.s3`: the bucket tier of archive copies (docs/operations.md, "Archive copies in a
 * bucket"). Credentials come from the SDK's default chain, never from here. Keys not given take
 * the defaults below (the block as a whole defaults to null: off).
 */
const archiveS3Schema = z.strictObject({
  bucket: z
    .string()
    .min(3)
    .max(63)
    .regex(/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/, 'must be a bucket name (lower-case letters, digits, . and -)'),
  /** Put before every key: `<prefix><customer>/<category>/<type>/<group>/<datetime>/<file>`. */
  prefix: z
    .string()
    .max(512)
    .refine((prefix) => prefix === '' || prefix.endsWith('/'), 'must be empty or end with "/"')
    .refine((prefix) => !prefix.startsWith('/'), 'must not start with "/"')
    .default(''),
  /** null = AWS (the endpoint of `region`); set for MinIO, Ceph, Zenko. */
  endpoint: z.url().nullable().default(null),
  region: z.string().min(1).nullable().default(null),
  forcePathStyle: z.boolean().default(false),
  /** e.g. STANDARD_IA, GLACIER_IR; null = the bucket's default. */
  storageClass: z.string().min(1).max(64).nullable().default(null),
  /** Remove the local copy once the bucket's copy is verified and recorded. */
  removeLocal: z.boolean().default(true),
  intervalSeconds: z
    .number()
    .int()
    .positive()
    .max(24 * 3600)
    .default(300),
  /** Jobs uploaded at once by this instance. */
  concurrency: z.number().int().positive().max(32).default(2),
});

/** `archive`: where archive copies live (another mount, slower storage; null = `<dataRoot>/archive`), and the optional bucket tier. */
export const archiveSchema = z.strictObject({ root: z.string().min(1).nullable(), s3: archiveS3Schema.nullable().default(null) });
export type ArchiveS3Settings = z.infer<typeof archiveS3Schema>;

/** `disk`: free space warnings above the refusal threshold, and the optional pressure purge. */
export const diskSchema = z.strictObject({
  /** Below this much free space under the data root the service warns (metric, /readyz detail): before any mail is refused. */
  warnFreeBytes: z.number().int().positive(),
  /** Below the warning, run the purge at once (oldest eligible data first) until free space is back above it; retention still decides what may go. */
  pressurePurge: z.boolean(),
  checkIntervalSeconds: z.number().int().positive().max(3600),
});

export type RetentionSettings = z.infer<typeof retentionSchema>;
export type RetentionWindows = z.infer<typeof retentionWindowsSchema>;
export type RetentionOverride = z.infer<typeof retentionOverrideSchema>;
