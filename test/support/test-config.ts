import { chmod, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Config } from '../../src/config/config-schema.js';
import { loadConfig } from '../../src/config/load-config.js';

/** A private data root under the system temp folder (readable by the embedded server's user). */
export async function makeDataRoot(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'dp-test-data-'));
  await chmod(dir, 0o755);
  return dir;
}

/** Real config through the real loader, pointed at a test database and data root. */
export function makeTestConfig(args: { readonly databaseUrl: string | null; readonly dataRoot: string; readonly overrides?: Record<string, unknown> }): Config {
  const base: Record<string, unknown> = {
    dataRoot: args.dataRoot,
    logDir: path.join(args.dataRoot, 'log'),
    database: { url: args.databaseUrl },
    http: { host: '127.0.0.1', port: 0 },
    smtp: { host: '127.0.0.1', port: 0 },
    worker: { pollIntervalMs: 50, leaseSeconds: 10, heartbeatSeconds: 2, backoffBaseSeconds: 0.2, backoffMaxSeconds: 1 },
    sweeper: { intervalSeconds: 1 },
    shutdown: { graceSeconds: 5 },
  };
  return loadConfig({ env: {}, overrides: merge(base, args.overrides ?? {}) });
}

function merge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const current = out[key];
    const bothObjects = [current, value].every((item) => item !== null && typeof item === 'object' && !Array.isArray(item));
    out[key] = bothObjects ? merge(current as Record<string, unknown>, value as Record<string, unknown>) : value;
  }
  return out;
}
