import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('./worker-process.ts', import.meta.url));

export interface WorkerProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  kill(signal: NodeJS.Signals): void;
}

/** Starts test/support/worker-process.ts in its own Node process and waits for "ready". */
export async function spawnWorkerProcess(args: {
  readonly databaseUrl: string;
  readonly dataRoot: string;
  readonly overrides?: Record<string, unknown>;
}): Promise<WorkerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx/esm', SCRIPT], {
    env: { ...process.env, DP_TEST_DATABASE_URL: args.databaseUrl, DP_TEST_DATA_ROOT: args.dataRoot, DP_TEST_OVERRIDES: JSON.stringify(args.overrides ?? {}) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker process not ready in 30 s: ${stderr}`)), 30_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) {
        clearTimeout(timer);
        resolve();
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`worker process exited with ${code}: ${stderr}`));
    });
  });
  return { child, exited, kill: (signal) => child.kill(signal) };
}
