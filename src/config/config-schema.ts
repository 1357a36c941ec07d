import { z } from 'zod';

/** How a module keeps a copy of a job's originals under `archive/` (the seed's optional archive). */
export const ARCHIVE_MODES = ['none', 'copy', 'tar.gz', 'zip'] as const;

const port = z.number().int().min(0).max(65535);
const positiveInt = z.number().int().positive();

const moduleSettingsSchema = z.strictObject({
  timeoutSeconds: positiveInt.optional(),
  maxAttempts: positiveInt.optional(),
  archive: z.enum(ARCHIVE_MODES).optional(),
});

/**
 * The whole configuration. `config/default.json` holds every default (documented in
 * docs/configuration.md); a file named by DP_CONFIG and the environment override it.
 * Unknown keys are rejected so a typo never silently falls back to a default.
 */
export const configSchema = z.strictObject({
  dataRoot: z.string().min(1),
  logDir: z.string().min(1),
  logLevel: z.enum(['error', 'warn', 'info', 'debug']),
  /** Name recorded on the jobs this instance stages; defaults to the host name. */
  nodeName: z.string().min(1).max(100).nullable(),
  /** True when every instance sees the same data root (NFS/EFS): any node may run any job. */
  sharedDataRoot: z.boolean(),
  timezone: z.string().min(1),
  database: z.strictObject({
    url: z.string().min(1).nullable(),
    embeddedPort: port,
    poolSize: positiveInt.max(200),
  }),
  adminApiKey: z.string().min(16, 'must be at least 16 characters').nullable(),
  http: z.strictObject({ host: z.string().min(1), port, bodyLimitBytes: positiveInt }),
  smtp: z.strictObject({ enabled: z.boolean(), host: z.string().min(1), port }),
  worker: z.strictObject({
    enabled: z.boolean(),
    concurrency: positiveInt.max(64),
    pollIntervalMs: positiveInt,
    leaseSeconds: positiveInt,
    heartbeatSeconds: positiveInt,
    maxAttempts: positiveInt.max(100),
    backoffBaseSeconds: z.number().positive(),
    backoffMaxSeconds: z.number().positive(),
  }).refine((w) => w.heartbeatSeconds * 2 <= w.leaseSeconds, {
    message: 'heartbeatSeconds must be at most half of leaseSeconds, or leases expire while a job runs',
  }),
  sweeper: z.strictObject({ intervalSeconds: positiveInt }),
  jobs: z.strictObject({ defaultTimeoutSeconds: positiveInt }),
  modules: z.record(z.string().regex(/^[a-z0-9_]+\/[a-z0-9_]+$/, 'module keys are "<category>/<type>"'), moduleSettingsSchema),
  shutdown: z.strictObject({ graceSeconds: z.number().nonnegative() }),
});

export type Config = Readonly<z.infer<typeof configSchema>>;
export type ModuleSettings = z.infer<typeof moduleSettingsSchema>;
export type ArchiveMode = (typeof ARCHIVE_MODES)[number];
