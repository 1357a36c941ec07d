import { z } from 'zod';
import { alertsSchema } from './alerts-schema.js';
import { archiveSchema, diskSchema, retentionSchema } from './retention-schema.js';

/** How a module keeps a copy of a job's originals under `archive/` (the seed's optional archive). */
export const ARCHIVE_MODES = ['none', 'copy', 'tar.gz', 'zip'] as const;

const port = z.number().int().min(0).max(65535);
const positiveInt = z.number().int().positive();

/** Longest job timeout: a week (timers beyond ~24.8 days would fire at once anyway). */
const MAX_TIMEOUT_SECONDS = 7 * 24 * 3600;

const moduleSettingsSchema = z.strictObject({
  timeoutSeconds: positiveInt.max(MAX_TIMEOUT_SECONDS).optional(),
  maxAttempts: positiveInt.optional(),
  archive: z.enum(ARCHIVE_MODES).optional(),
  /** At most this many of the module's jobs run at once in one process (large exports: memory). */
  maxRunning: positiveInt.max(64).optional(),
});

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lower-case hex digits (sha256 of the password)');

/** The embedded SMTP listener (src/smtp); every key is documented in docs/configuration.md. */
const smtpSchema = z
  .strictObject({
    enabled: z.boolean(),
    host: z.string().min(1),
    port,
    /** Name in the 220 greeting and the EHLO reply; null = nodeName (the host name). */
    hostname: z
      .string()
      .min(1)
      .max(255)
      .regex(/^[A-Za-z0-9.-]+$/, 'must be a host name')
      .nullable(),
    maxMessageBytes: positiveInt,
    maxClients: positiveInt,
    /** Simultaneous connections from one client address (trusted relays are exempt). */
    maxConnectionsPerAddress: positiveInt,
    maxRecipients: positiveInt.max(1000),
    /** Domains whose `<slug>@` and `<anything>+<slug>@` addresses route to customers. */
    ingestDomains: z.array(z.string().min(1)),
    disableReverseLookup: z.boolean(),
    /** Idle time allowed while the server waits for the client. */
    socketTimeoutSeconds: positiveInt,
    /** In DATA: waiting time allowed for each 1,000 bytes of the message (a byte trickle counts as idle). */
    dataIdleSeconds: positiveInt,
    /** Wall-clock cap of one connection, however active (a 1-byte trickle resets the idle timeout). */
    sessionMaxSeconds: positiveInt,
    /** How long the customer list used for RCPT TO is reused; 0 reads it for every recipient. */
    customerCacheSeconds: z.number().nonnegative(),
    /** Client addresses (e.g. the local Postfix) allowed XCLIENT/XFORWARD to pass on the original client. */
    trustedRelays: z.array(z.string().min(1)),
    /** Refuse mail (at RCPT TO) to a customer without a sender allow-list instead of taking it from anyone. */
    requireSenderAllowList: z.boolean(),
    /** authserv-ids (the border MTA's) whose Authentication-Results headers are believed, on SMTP only from `trustedRelays`; [] = none. */
    trustedAuthservIds: z.array(
      z
        .string()
        .min(1)
        .max(255)
        .regex(/^[^\s;()"\\]+$/, 'must be an authserv-id (usually the MTA host name), without spaces, ";", quotes or parentheses'),
    ),
    /** STARTTLS is offered only when both files are set. */
    tls: z.strictObject({ certFile: z.string().min(1).nullable(), keyFile: z.string().min(1).nullable() }),
    /** Optional AUTH (after STARTTLS). A user bound to a customer may deliver only to that customer. */
    auth: z.strictObject({
      enabled: z.boolean(),
      users: z.array(z.strictObject({ username: z.string().min(1).max(255), passwordSha256: sha256Hex, customer: z.string().min(1).nullable() })),
    }),
  })
  .refine((smtp) => (smtp.tls.certFile === null) === (smtp.tls.keyFile === null), {
    message: 'tls.certFile and tls.keyFile must be set together',
    path: ['tls'],
  })
  .refine((smtp) => !smtp.auth.enabled || smtp.tls.certFile !== null, {
    message: 'auth needs STARTTLS: set tls.certFile and tls.keyFile (passwords never travel in clear text)',
    path: ['auth', 'enabled'],
  });

const moduleSegment = z.string().regex(/^[a-z0-9_]+$/, 'must be lower-case letters, digits and _');
/** AWS lets buckets be 3–63 characters; MinIO and Ceph follow the same rule. */
const bucketName = z
  .string()
  .min(3)
  .max(63)
  .regex(/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/, 'must be a bucket name (lower-case letters, digits, . and -)');

/** Uploads through an S3-compatible store (src/s3events); every key is documented in docs/configuration.md. */
const s3Schema = z.strictObject({
  /** null = AWS (the endpoint of `region`); set for MinIO, Zenko CloudServer, Ceph. */
  endpoint: z.url().nullable(),
  /** null = the SDK's own resolution (AWS_REGION, the shared config file). */
  region: z.string().min(1).nullable(),
  /** Path-style URLs (`endpoint/bucket/key`), which MinIO and most self-hosted stores need. */
  forcePathStyle: z.boolean(),
  /** Bucket (and optional key prefix) → module; keys below are `<customer>/<grid>/<file>`. */
  routes: z
    .array(z.strictObject({ bucket: bucketName, category: moduleSegment, type: moduleSegment, prefix: z.string().min(1).max(512).exactOptional() }))
    // Two routes for one bucket and prefix would send its objects to whichever comes first.
    .superRefine((routes, ctx) => {
      const seen = new Map<string, number>();
      routes.forEach((route, index) => {
        const where = `${route.bucket}/${(route.prefix ?? '').replace(/^\/+|\/+$/g, '')}`;
        const first = seen.get(where);
        if (first !== undefined)
          ctx.addIssue({
            code: 'custom',
            path: [index],
            message: `routes ${first} and ${index} both map bucket "${route.bucket}" prefix "${route.prefix ?? ''}": give each bucket and prefix one module`,
          });
        else seen.set(where, index);
      });
    }),
  /** Largest object fetched into inbox/; larger ones become a failed job without being downloaded. */
  maxObjectBytes: positiveInt,
  sqs: z.strictObject({
    /** null = no SQS consumer. */
    queueUrl: z.url().nullable(),
    /** null = the SDK's choice (the queue URL's host); set for emulators whose queue URLs do not resolve. */
    endpoint: z.url().nullable(),
    waitTimeSeconds: z.number().int().min(0).max(20),
    maxMessages: positiveInt.max(10),
    /** Messages handled at once (each one download); no more are received while all are busy. */
    concurrency: positiveInt.max(64),
    /** Set on every receive and renewed at half of it while the object is being staged. */
    visibilityTimeoutSeconds: z.number().int().min(2).max(43200),
  }),
  /** `POST /api/1.0/s3/events` answers 404 while the token is null. */
  webhook: z.strictObject({ token: z.string().min(16, 'must be at least 16 characters').max(512).nullable() }),
  reconcile: z.strictObject({
    /** null = off. */
    intervalSeconds: positiveInt.nullable(),
    /** Only objects modified this recently are considered (older ones predate the service or were handled). */
    lookbackHours: positiveInt,
    /** Objects younger than this are left to their notification, which is probably still on its way. */
    settleSeconds: z.number().int().nonnegative(),
  }),
});

/** Presigned S3 PUT URLs are valid at most a week (SigV4's own limit). */
const MAX_PRESIGN_EXPIRY_SECONDS = 7 * 24 * 3600;

/** Direct uploads (`POST /api/1.0/uploads/...`) and presigned S3 uploads; documented in docs/configuration.md. */
const uploadsSchema = z.strictObject({
  /** Largest file a direct upload may stream into inbox/; null = s3.maxObjectBytes, so both ways in take the same files. */
  maxBytes: positiveInt.nullable(),
  presign: z.strictObject({
    /** Off by default: the embedded defaults have no object store. */
    enabled: z.boolean(),
    /** Lifetime of a presigned URL. */
    expiresSeconds: positiveInt.max(MAX_PRESIGN_EXPIRY_SECONDS),
    /** The store's address as clients reach it (signed into the URL); null = s3.endpoint. */
    endpoint: z.url().nullable(),
  }),
});

/**
 * The whole configuration. `config/default.json` holds every default (documented in
 * docs/configuration.md); a file named by DP_CONFIG and the environment override it.
 * Unknown keys are rejected so a typo never silently falls back to a default.
 */
export const configSchema = z.strictObject({
  dataRoot: z.string().min(1),
  /** null = `<dataRoot>/log`. */
  logDir: z.string().min(1).nullable(),
  logLevel: z.enum(['error', 'warn', 'info', 'debug']),
  /** Lines on stdout: JSON like the files, or one readable line each (`text`). Files are always JSON. */
  /** stdout only (the files are JSON lines): `auto` is `text` on a terminal and `json` otherwise (containers, pipes, journald). */
  logFormat: z.enum(['auto', 'json', 'text']),
  /** Each log file is rotated at maxBytes and maxFiles rotated files are kept beside it. */
  logRotation: z.strictObject({ maxBytes: positiveInt.min(1024), maxFiles: positiveInt.max(1000) }),
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
  http: z.strictObject({
    host: z.string().min(1),
    port,
    bodyLimitBytes: positiveInt,
    /**
     * Behind a reverse proxy that terminates TLS: take the scheme, host and client address from its
     * X-Forwarded-Proto/-Host/-For headers (the console's Secure cookie and its same-origin check need
     * the scheme the browser used). Off by default: a client talking to us directly could forge them.
     */
    trustProxy: z.boolean(),
    /** Requests per second allowed to one API key (a burst of that size, then 429 + Retry-After); 0 turns the limit off. */
    rateLimit: z.strictObject({ pointsPerSecond: z.number().int().nonnegative() }),
    /** How long a client may take; a slow or stalled one must not hold a socket for ever. */
    timeouts: z.strictObject({
      /** From the connection's first byte of a request to the end of its headers (Node's headersTimeout). */
      headersSeconds: z.number().positive().max(3600),
      /** Total time to receive a JSON (or webhook) body once the headers are in: 408 after it. */
      bodySeconds: z.number().positive().max(3600),
      /** A direct upload is cut when no byte arrives for this long (an idle limit, never a total one). */
      uploadIdleSeconds: z.number().positive().max(3600),
    }),
  }),
  smtp: smtpSchema,
  /** Group commit for small SMTP messages (src/pipeline/spool). */
  spool: z.strictObject({
    enabled: z.boolean(),
    /** Messages up to this size are held in memory and spooled; larger ones are streamed into their folder. */
    maxArrivalBytes: z
      .number()
      .int()
      .nonnegative()
      .max(16 * 1024 * 1024),
    /** Acknowledged arrivals whose folders are not written yet; beyond it new ones take the folder path. */
    maxBacklog: positiveInt,
  }),
  s3: s3Schema,
  uploads: uploadsSchema,
  worker: z
    .strictObject({
      enabled: z.boolean(),
      concurrency: positiveInt.max(64),
      pollIntervalMs: positiveInt,
      leaseSeconds: positiveInt.max(3600),
      heartbeatSeconds: positiveInt.max(1800),
      maxAttempts: positiveInt.max(100),
      backoffBaseSeconds: z.number().positive(),
      backoffMaxSeconds: z.number().positive(),
    })
    .refine((w) => w.heartbeatSeconds * 2 <= w.leaseSeconds, {
      message: 'heartbeatSeconds must be at most half of leaseSeconds, or leases expire while a job runs',
    }),
  sweeper: z.strictObject({ intervalSeconds: positiveInt }),
  jobs: z.strictObject({ defaultTimeoutSeconds: positiveInt.max(MAX_TIMEOUT_SECONDS) }),
  modules: z.record(z.string().regex(/^[a-z0-9_]+\/[a-z0-9_]+$/, 'module keys are "<category>/<type>"'), moduleSettingsSchema),
  shutdown: z.strictObject({ graceSeconds: z.number().nonnegative() }),
  /** Retention, archive placement and disk pressure (src/lifecycle, src/config/retention-schema.ts). */
  retention: retentionSchema,
  archive: archiveSchema,
  disk: diskSchema,
  /**
   * `sources`: how often each module's data is expected from every group (grid, master server);
   * a source quiet for longer is flagged silent (GET /api/1.0/sources, metric, alert). Hours per
   * "<category>/<type>"; a module not listed (alerts: they come when something happens) is never silent.
   */
  /** `refused`: the record of arrivals refused before they became jobs (GET /api/1.0/refused). */
  refused: z.strictObject({
    /** Records older than this are deleted (checked hourly). */
    keepDays: z.number().positive().max(3650),
    /** Records waiting for their INSERT at most (a flood of refused connections costs no more memory). */
    maxQueued: z.number().int().positive().max(1_000_000),
  }),
  sources: z.strictObject({
    expectedIntervalHours: z.record(
      z.string().regex(/^[a-z0-9_]+\/[a-z0-9_]+$/, 'module keys are "<category>/<type>"'),
      z
        .number()
        .positive()
        .max(24 * 366),
    ),
  }),
  /** Notifications of failures and unhealthy states, by webhook or mail (src/alerting, src/config/alerts-schema.ts). */
  alerts: alertsSchema,
});

/** Who this instance is: the name it records on the jobs it stages, and whether an operator chose it. */
export interface NodeIdentity {
  readonly name: string;
  /** False when the name came from `<dataRoot>/node-id` or the host name, which change with containers. */
  readonly configured: boolean;
}

type ParsedConfig = z.infer<typeof configSchema>;

/**
 * The resolved configuration (src/config/load-config.ts): as validated, with every default that
 * depends on another value applied once, so nothing after start-up writes `?? default`: the log
 * folder, the node, and the upload limits that fall back to the S3 ones.
 */
export type Config = Readonly<
  Omit<ParsedConfig, 'logDir' | 'nodeName' | 'uploads'> & {
    logDir: string;
    node: NodeIdentity;
    uploads: Readonly<Omit<ParsedConfig['uploads'], 'maxBytes'> & { maxBytes: number }>;
  }
>;
export type ModuleSettings = z.infer<typeof moduleSettingsSchema>;
export type ArchiveMode = (typeof ARCHIVE_MODES)[number];
