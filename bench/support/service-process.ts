import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { procStatusMiB } from './proc-status.js';

export const BIN = fileURLToPath(new URL('../../bin/dataprocessor.js', import.meta.url));
/** Migrations and the first start of tsx take a few seconds on a busy 2-core box. */
const START_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS = 60_000;

export interface ServiceProcessArgs {
  readonly databaseUrl: string;
  /** A private folder: the data root, logs and the config file go below it. */
  readonly workDir: string;
  /** Merged over config/default.json through DP_CONFIG (any key, e.g. smtp.ingestDomains). */
  readonly config?: Readonly<Record<string, unknown>>;
  readonly smtp?: boolean;
  readonly worker?: boolean;
  /** Extra environment (AWS credentials for the S3 emulator). */
  readonly env?: Readonly<Record<string, string>>;
  /** Node options for the service, e.g. ['--cpu-prof', '--cpu-prof-dir', dir]. */
  readonly nodeOptions?: readonly string[];
  readonly logLevel?: string;
  /** The `bin/dataprocessor.js` to run: the work tree's (tsx) by default, or a compiled build's. */
  readonly bin?: string;
}

export interface ServiceProcess {
  readonly pid: number;
  readonly httpUrl: string;
  readonly smtpPort: number;
  readonly dataRoot: string;
  /** Peak resident set of the service so far (VmHWM), MiB; remembered after it exits. */
  peakRssMiB(): number | null;
  /** Runs `dataprocessor <args>` with the same configuration (customer add, ingest …). */
  cli(args: readonly string[]): Promise<string>;
  stop(): Promise<void>;
}

/**
 * `node bin/dataprocessor.js serve` in its own process, so the load generator never shares the
 * service's event loop or its memory figures. Configured only the way an operator would: a
 * DP_CONFIG file and DP_* variables.
 */
export async function startServiceProcess(args: ServiceProcessArgs): Promise<ServiceProcess> {
  const dataRoot = path.join(args.workDir, 'data');
  await mkdir(dataRoot, { recursive: true });
  const configFile = path.join(args.workDir, 'bench-config.json');
  await writeFile(configFile, JSON.stringify(args.config ?? {}));
  const [httpPort, smtpPort] = [await freePort(), await freePort()];
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...args.env,
    DATABASE_URL: args.databaseUrl,
    DP_CONFIG: configFile,
    DP_DATA_ROOT: dataRoot,
    DP_LOG_DIR: path.join(args.workDir, 'log'),
    DP_LOG_LEVEL: args.logLevel ?? 'info',
    DP_HTTP_HOST: '127.0.0.1',
    DP_HTTP_PORT: String(httpPort),
    DP_SMTP_ENABLED: String(args.smtp ?? true),
    DP_SMTP_HOST: '127.0.0.1',
    DP_SMTP_PORT: String(smtpPort),
    DP_WORKER_ENABLED: String(args.worker ?? true),
  };
  const bin = args.bin ?? BIN;
  const runCli = (cliArgs: readonly string[]): Promise<string> => runNode([bin, ...cliArgs], env);
  const child = spawn(process.execPath, [...(args.nodeOptions ?? []), bin, 'serve'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const pid = child.pid;
  if (pid === undefined) throw new Error('could not start the service');
  let lastPeak: number | null = null;
  const peak = (): number | null => {
    lastPeak = procStatusMiB(pid, 'VmHWM') ?? lastPeak;
    return lastPeak;
  };
  await waitForOutput(child, 'DataProcessor listening');
  return {
    pid,
    httpUrl: `http://127.0.0.1:${httpPort}`,
    smtpPort,
    dataRoot,
    peakRssMiB: peak,
    cli: runCli,
    async stop() {
      peak();
      if (child.exitCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Start-up output kept for an error message; after start-up the pipes are only drained. */
const KEPT_OUTPUT_CHARS = 20_000;

function waitForOutput(child: ChildProcess, marker: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    let started = false;
    const timer = setTimeout(() => reject(new Error(`the service did not start in ${START_TIMEOUT_MS} ms:\n${output}`)), START_TIMEOUT_MS);
    // The service logs every message at info: scanning all of it again per chunk would make this
    // process (on the same two cores) the bottleneck. Keep a bounded tail and look at it only
    // until start-up; afterwards just drain, or a chatty service blocks on a full pipe.
    const keep = (chunk: Buffer): void => {
      if (started) return;
      output = (output + chunk.toString()).slice(-KEPT_OUTPUT_CHARS);
      if (output.includes(marker)) {
        started = true;
        output = '';
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (!started) reject(new Error(`the service exited with ${code} before it listened:\n${output}`));
    });
  });
}

/** Runs node with `args`, resolving with stdout; rejects with stderr on a non-zero exit. */
export function runNode(args: readonly string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`node ${args.join(' ')} exited with ${code}: ${stderr}`))));
  });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}
