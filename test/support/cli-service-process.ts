import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../../bin/dataprocessor.js', import.meta.url));
/** The start-up line in either stdout format (`logFormat` auto: JSON through a pipe, text on a terminal). */
const READY_LINE = /SMTP: listening on \S+:(\d+)|"smtp":"[^"]*:(\d+)"/;
const START_TIMEOUT_MS = 60_000;

export interface CliService {
  readonly child: ChildProcess;
  readonly smtpPort: number;
  readonly exited: Promise<number | null>;
  /** What the process printed so far (for failure messages). */
  output(): string;
  /** SIGKILL, then waits until the process is gone. */
  killHard(): Promise<void>;
  /** SIGTERM (graceful stop), then waits until the process is gone. */
  stop(): Promise<void>;
}

/** A TCP port nobody listens on right now (bound on 127.0.0.1:0, then released). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * The real command line, `node bin/dataprocessor.js serve`, in its own process, configured only
 * through its environment (DATABASE_URL, DP_*), as an operator would run it. Resolves once it
 * printed its SMTP address, i.e. after migrations and start-up recovery.
 */
export async function spawnCliService(args: {
  readonly databaseUrl: string;
  readonly dataRoot: string;
  readonly smtpPort: number;
  readonly workerEnabled: boolean;
  readonly adminApiKey: string;
  /** More environment for the process (NODE_OPTIONS for a probe). */
  readonly env?: Readonly<Record<string, string>>;
}): Promise<CliService> {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('DP_') && name !== 'DATABASE_URL'));
  const child = spawn(process.execPath, [CLI, 'serve'], {
    env: {
      ...inherited,
      DATABASE_URL: args.databaseUrl,
      DP_DATA_ROOT: args.dataRoot,
      DP_LOG_DIR: path.join(args.dataRoot, 'log'),
      DP_LOG_LEVEL: 'warn',
      DP_HTTP_HOST: '127.0.0.1',
      DP_HTTP_PORT: '0',
      DP_SMTP_HOST: '127.0.0.1',
      DP_SMTP_PORT: String(args.smtpPort),
      DP_WORKER_ENABLED: String(args.workerEnabled),
      DP_ADMIN_API_KEY: args.adminApiKey,
      ...args.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const smtpPort = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not listen within ${START_TIMEOUT_MS} ms:\n${output}`)), START_TIMEOUT_MS);
    const onData = (): void => {
      const match = READY_LINE.exec(output);
      if (match === null) return;
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      resolve(Number(match[1] ?? match[2]));
    };
    child.stdout?.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code} before listening:\n${output}`));
    });
  });
  const stopWith = async (signal: NodeJS.Signals): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };
  return { child, smtpPort, exited, output: () => output, killHard: () => stopWith('SIGKILL'), stop: () => stopWith('SIGTERM') };
}
