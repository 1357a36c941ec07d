import { spawn, type ChildProcess } from 'node:child_process';
import { chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Logger } from '../logging/logging.js';
import { binPath, type PostgresBinaries } from './postgres-binaries.js';
import type { ServerAccount } from './postgres-os-user.js';

const STOP_TIMEOUT_MS = 30_000;
/** Last lines of the server's output kept for an error message. */
const KEPT_OUTPUT_CHARS = 2_000;

interface ServerRun {
  readonly binaries: PostgresBinaries;
  readonly account: ServerAccount | undefined;
  readonly databaseDir: string;
  readonly logger: Logger;
}

/**
 * Creates the cluster: UTF-8 with the C locale (the same on every machine, so sorting never
 * depends on where the service first started), password authentication for `postgres`. The
 * password file lives in a private folder of the server's account and is removed at once.
 */
export async function initialiseCluster(run: ServerRun & { readonly password: string }): Promise<void> {
  const secretDir = await mkdtemp(path.join(tmpdir(), 'dp-initdb-'));
  const passwordFile = path.join(secretDir, 'password');
  try {
    await writeFile(passwordFile, `${run.password}\n`, { mode: 0o600 });
    if (run.account !== undefined) {
      await chown(secretDir, run.account.uid, run.account.gid);
      await chown(passwordFile, run.account.uid, run.account.gid);
    }
    const child = spawn(
      binPath(run.binaries, 'initdb'),
      [
        `--pgdata=${run.databaseDir}`,
        '--auth=scram-sha-256',
        '--username=postgres',
        `--pwfile=${passwordFile}`,
        '--encoding=UTF8',
        '--locale=C',
        '--lc-messages=C',
      ],
      { ...run.account, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const output = collectOutput(child, run.logger);
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', resolve);
    });
    if (code !== 0) throw new Error(`initdb failed (exit ${code ?? 'signal'}): ${output()}`);
  } finally {
    await rm(secretDir, { recursive: true, force: true });
  }
}

export interface RunningServer {
  stop(): Promise<void>;
}

/** Starts `postgres` and resolves once it accepts connections; rejects with its output if it exits first. */
export async function startServer(run: ServerRun & { readonly port: number }): Promise<RunningServer> {
  const child = spawn(
    binPath(run.binaries, 'postgres'),
    [
      '-D',
      run.databaseDir,
      '-p',
      String(run.port),
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
      // Messages in English whatever the machine's locale, so "ready" can be recognised.
      '-c',
      'lc_messages=C',
    ],
    { ...run.account, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const output = collectOutput(child, run.logger);
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      if (chunk.toString('utf8').includes('database system is ready to accept connections')) resolve();
    };
    child.stderr?.on('data', onData);
    child.once('error', reject);
    void exited.then(() => reject(new Error(`PostgreSQL exited during start-up: ${output()}`)));
  });
  return {
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      // SIGINT is PostgreSQL's "fast" shutdown: clients are disconnected, the cluster stays crash-safe.
      child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGQUIT'), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}

function collectOutput(child: ChildProcess, logger: Logger): () => string {
  let kept = '';
  const keep = (chunk: Buffer): void => {
    const text = chunk.toString('utf8');
    logger.debug('embedded postgres', { message: text.trim() });
    kept = (kept + text).slice(-KEPT_OUTPUT_CHARS);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return () => kept.trim();
}
