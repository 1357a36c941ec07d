import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { configSchema, type Config } from './config-schema.js';
import { nodeIdentity } from './node-identity.js';

export const DEFAULT_CONFIG_PATH = fileURLToPath(new URL('../../config/default.json', import.meta.url));
/** Read from the working directory when DP_CONFIG is not set: where the seed kept it (`/app`). */
const SEED_CONFIG_FILE = 'config.json';

/** Raised for any configuration problem; the CLI prints the message and exits non-zero. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

type EnvKind = 'string' | 'int' | 'bool';
/** Environment overrides: variable → config path. The seed's names first, then ours. */
export const ENV_OVERRIDES: ReadonlyArray<{ env: string; path: readonly string[]; kind: EnvKind }> = [
  { env: 'DATABASE_URL', path: ['database', 'url'], kind: 'string' },
  { env: 'DP_DATA_ROOT', path: ['dataRoot'], kind: 'string' },
  { env: 'DP_LOG_DIR', path: ['logDir'], kind: 'string' },
  { env: 'DP_LOG_LEVEL', path: ['logLevel'], kind: 'string' },
  { env: 'DP_LOG_FORMAT', path: ['logFormat'], kind: 'string' },
  { env: 'DP_NODE_NAME', path: ['nodeName'], kind: 'string' },
  { env: 'DP_HTTP_HOST', path: ['http', 'host'], kind: 'string' },
  { env: 'DP_HTTP_PORT', path: ['http', 'port'], kind: 'int' },
  { env: 'DP_HTTP_TRUST_PROXY', path: ['http', 'trustProxy'], kind: 'bool' },
  { env: 'DP_SMTP_ENABLED', path: ['smtp', 'enabled'], kind: 'bool' },
  { env: 'DP_SMTP_HOST', path: ['smtp', 'host'], kind: 'string' },
  { env: 'DP_SMTP_PORT', path: ['smtp', 'port'], kind: 'int' },
  { env: 'DP_SMTP_REQUIRE_SENDER_ALLOW_LIST', path: ['smtp', 'requireSenderAllowList'], kind: 'bool' },
  { env: 'DP_ADMIN_API_KEY', path: ['adminApiKey'], kind: 'string' },
  { env: 'DP_SPOOL_ENABLED', path: ['spool', 'enabled'], kind: 'bool' },
  { env: 'DP_WORKER_ENABLED', path: ['worker', 'enabled'], kind: 'bool' },
  { env: 'DP_WORKER_CONCURRENCY', path: ['worker', 'concurrency'], kind: 'int' },
  { env: 'DP_EMBEDDED_PG_PORT', path: ['database', 'embeddedPort'], kind: 'int' },
  { env: 'DP_S3_ENDPOINT', path: ['s3', 'endpoint'], kind: 'string' },
  { env: 'DP_S3_REGION', path: ['s3', 'region'], kind: 'string' },
  { env: 'DP_S3_FORCE_PATH_STYLE', path: ['s3', 'forcePathStyle'], kind: 'bool' },
  { env: 'DP_S3_SQS_QUEUE_URL', path: ['s3', 'sqs', 'queueUrl'], kind: 'string' },
  { env: 'DP_S3_SQS_ENDPOINT', path: ['s3', 'sqs', 'endpoint'], kind: 'string' },
  { env: 'DP_S3_WEBHOOK_TOKEN', path: ['s3', 'webhook', 'token'], kind: 'string' },
  { env: 'DP_S3_RECONCILE_INTERVAL_SECONDS', path: ['s3', 'reconcile', 'intervalSeconds'], kind: 'int' },
  { env: 'DP_UPLOADS_MAX_BYTES', path: ['uploads', 'maxBytes'], kind: 'int' },
  { env: 'DP_UPLOADS_PRESIGN_ENABLED', path: ['uploads', 'presign', 'enabled'], kind: 'bool' },
  { env: 'DP_UPLOADS_PRESIGN_ENDPOINT', path: ['uploads', 'presign', 'endpoint'], kind: 'string' },
];

export interface LoadConfigArgs {
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Base for relative paths in the config (dataRoot, logDir); the working directory by default. */
  readonly cwd?: string;
  /** Applied last, for tests and the CLI. */
  readonly overrides?: Readonly<Record<string, unknown>>;
}

/**
 * Builds the one validated, frozen configuration: defaults ← DP_CONFIG_BASE file ← DP_CONFIG
 * file (else ./config.json) ← environment ← overrides. Every problem is reported at once, naming
 * the key, where the value came from and what is allowed.
 */
export function loadConfig(args: LoadConfigArgs = {}): Config {
  const env = args.env ?? process.env;
  const cwd = args.cwd ?? process.cwd();
  const sources = new Map<string, string>();
  let merged = readJsonFile(DEFAULT_CONFIG_PATH);
  for (const configFile of configFiles(env, cwd)) {
    const fileConfig = readJsonFile(path.resolve(cwd, configFile));
    recordSources(fileConfig, [], configFile, sources);
    merged = deepMerge(merged, fileConfig);
  }
  for (const { env: name, path: keyPath, kind } of ENV_OVERRIDES) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    merged = deepMerge(merged, nest(keyPath, coerceEnv(raw, kind)));
    sources.set(keyPath.join('.'), `environment variable ${name}`);
  }
  if (args.overrides !== undefined) merged = deepMerge(merged, args.overrides as Record<string, unknown>);

  const parsed = configSchema.safeParse(merged);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const key = issue.path.join('.') || '(root)';
      const from = sources.get(key);
      return `  - ${key}: ${issue.message}${from === undefined ? '' : ` (set by ${from})`}`;
    });
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  const { nodeName, ...config } = parsed.data;
  const dataRoot = path.resolve(cwd, config.dataRoot);
  const resolved: Config = {
    ...config,
    dataRoot,
    logDir: config.logDir === null ? path.join(dataRoot, 'log') : path.resolve(cwd, config.logDir),
    archive: { ...config.archive, root: config.archive.root === null ? null : path.resolve(cwd, config.archive.root) },
    node: nodeIdentity({ configured: nodeName, dataRoot, sharedDataRoot: config.sharedDataRoot }),
    uploads: {
      ...config.uploads,
      // Both ways in take the same files unless an operator says otherwise.
      maxBytes: config.uploads.maxBytes ?? config.s3.maxObjectBytes,
      presign: { ...config.uploads.presign, endpoint: config.uploads.presign.endpoint ?? config.s3.endpoint },
    },
  };
  return deepFreeze(resolved);
}

/**
 * The files layered over the defaults, weakest first: `DP_CONFIG_BASE` (the Docker image's own
 * defaults, so that the operator's file wins over them), then `DP_CONFIG`, else the seed's
 * `config.json` in the working directory when there is one (`/app/config.json` in the image).
 */
function configFiles(env: Readonly<Record<string, string | undefined>>, cwd: string): string[] {
  const files: string[] = [];
  if (env.DP_CONFIG_BASE !== undefined && env.DP_CONFIG_BASE !== '') files.push(env.DP_CONFIG_BASE);
  if (env.DP_CONFIG !== undefined && env.DP_CONFIG !== '') files.push(env.DP_CONFIG);
  else if (existsSync(path.join(cwd, SEED_CONFIG_FILE))) files.push(path.join(cwd, SEED_CONFIG_FILE));
  return files;
}

function readJsonFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read config file ${file}: ${(error as Error).message}`);
  }
  try {
    const value: unknown = JSON.parse(text);
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error('top level must be an object');
    return value as Record<string, unknown>;
  } catch (error) {
    throw new ConfigError(`config file ${file} is not valid JSON: ${(error as Error).message}`);
  }
}

/** Numbers and booleans from the environment; a bad value is left as a string so validation names it. */
function coerceEnv(raw: string, kind: EnvKind): unknown {
  if (kind === 'int') return /^-?\d+$/.test(raw.trim()) ? Number(raw.trim()) : raw;
  if (kind === 'bool') {
    const value = raw.trim().toLowerCase();
    if (['1', 'true', 'yes', 'on'].includes(value)) return true;
    if (['0', 'false', 'no', 'off'].includes(value)) return false;
    return raw;
  }
  return raw;
}

function nest(keyPath: readonly string[], value: unknown): Record<string, unknown> {
  return keyPath.reduceRight<Record<string, unknown>>((inner, key) => ({ [key]: inner }), value as never);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const current = out[key];
    out[key] = isPlainObject(current) && isPlainObject(value) ? deepMerge(current, value) : value;
  }
  return out;
}

function recordSources(value: unknown, prefix: string[], source: string, into: Map<string, string>): void {
  if (!isPlainObject(value)) {
    into.set(prefix.join('.'), source);
    return;
  }
  for (const [key, inner] of Object.entries(value)) recordSources(inner, [...prefix, key], source, into);
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
