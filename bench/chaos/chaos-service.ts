import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync, readdirSync, type WriteStream } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { runNode } from '../support/service-process.js';

const LISTENING_MARKER = 'DataProcessor listening';
const START_TIMEOUT_MS = 180_000;
const STOP_TIMEOUT_MS = 90_000;
/** Start-up output kept to look for the marker (and for an error message). */
const KEPT_OUTPUT_CHARS = 20_000;

export interface ChaosServiceArgs {
  readonly bin: string;
  readonly env: NodeJS.ProcessEnv;
  /** Every line the service prints, across restarts. */
  readonly outputFile: string;
}

export type KillMode = 'process' | 'group';

/**
 * `node bin/dataprocessor.js serve` as an operator runs it, started detached so it leads its own
 * process group: `kill(-pid)` then takes its children too (tsx's esbuild, the spool's sync
 * helper), as an OOM killer or a container stop would. Restartable on the same ports, data
 * root and database.
 */
export class ChaosService {
  readonly #args: ChaosServiceArgs;
  readonly #output: WriteStream;
  #child: ChildProcess | undefined;
  #exited: Promise<void> = Promise.resolve();
  #starts = 0;

  constructor(args: ChaosServiceArgs) {
    this.#args = args;
    this.#output = createWriteStream(args.outputFile, { flags: 'a' });
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  get running(): boolean {
    return this.#child !== undefined && this.#child.exitCode === null && this.#child.signalCode === null;
  }

  /** Spawns the service; resolves once it printed that it listens (after migrations and recovery). */
  async start(): Promise<void> {
    const child = this.#spawn();
    await this.#waitListening(child);
  }

  /**
   * Spawns the service without waiting for it to listen (to kill it during start-up); the
   * returned promise settles when it listens or exits.
   */
  spawnOnly(): Promise<void> {
    return this.#waitListening(this.#spawn()).catch(() => undefined);
  }

  #spawn(): ChildProcess {
    this.#starts += 1;
    this.#output.write(`\n===== chaos harness: start #${this.#starts} at ${new Date().toISOString()} =====\n`);
    const child = spawn(process.execPath, [this.#args.bin, 'serve'], { env: this.#args.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    if (child.pid === undefined) throw new Error('could not start the service');
    this.#child = child;
    this.#exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        this.#output.write(`===== chaos harness: pid ${child.pid} exited (${signal ?? code}) =====\n`);
        resolve();
      }),
    );
    child.stdout?.on('data', (chunk: Buffer) => this.#output.write(chunk));
    child.stderr?.on('data', (chunk: Buffer) => this.#output.write(chunk));
    return child;
  }

  #waitListening(child: ChildProcess): Promise<void> {
    return new Promise((resolve, reject) => {
      let output = '';
      const done = (error?: Error): void => {
        clearTimeout(timer);
        child.stdout?.off('data', keep);
        child.off('exit', onExit);
        if (error === undefined) resolve();
        else reject(error);
      };
      const keep = (chunk: Buffer): void => {
        output = (output + chunk.toString()).slice(-KEPT_OUTPUT_CHARS);
        if (output.includes(LISTENING_MARKER)) done();
      };
      const onExit = (code: number | null, signal: string | null): void =>
        done(new Error(`the service exited (${signal ?? code}) before it listened:\n${output.slice(-3000)}`));
      const timer = setTimeout(() => done(new Error(`the service did not listen within ${START_TIMEOUT_MS} ms:\n${output.slice(-3000)}`)), START_TIMEOUT_MS);
      child.stdout?.on('data', keep);
      child.once('exit', onExit);
    });
  }

  /** kill -9 of the service process alone, or of its whole process group; resolves once it is gone. */
  async kill(mode: KillMode): Promise<void> {
    const child = this.#child;
    if (child?.pid === undefined) return;
    if (mode === 'group') killGroup(child.pid, 'SIGKILL');
    else if (this.running) child.kill('SIGKILL');
    await this.#exited;
  }

  /** What is left of the process group (children orphaned by a single-process kill), as pids. */
  groupLeftovers(): number[] {
    const pgid = this.#child?.pid;
    return pgid === undefined ? [] : processesInGroup(pgid);
  }

  /** Ends what a single-process kill left behind (so the next run starts clean); returns whether there was anything. */
  async reapGroup(): Promise<boolean> {
    const pgid = this.#child?.pid;
    if (pgid === undefined || this.running) return false;
    const left = this.groupLeftovers().length > 0;
    if (left) {
      killGroup(pgid, 'SIGKILL');
      await sleep(100);
    }
    return left;
  }

  /** Graceful stop (SIGTERM), escalating to SIGKILL of the group after a bound. */
  async stop(): Promise<void> {
    const child = this.#child;
    if (child?.pid === undefined || !this.running) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => killGroup(child.pid as number, 'SIGKILL'), STOP_TIMEOUT_MS);
    await this.#exited;
    clearTimeout(timer);
  }

  /** Runs `dataprocessor <args>` with the service's configuration (customer add …). */
  cli(args: readonly string[]): Promise<string> {
    return runNode([this.#args.bin, ...args], this.#args.env);
  }

  async close(): Promise<void> {
    await this.stop();
    await this.reapGroup();
    await new Promise<void>((resolve) => this.#output.end(() => resolve()));
  }
}

/** Pids whose process group is `pgid` (Linux /proc; field 5 of /proc/<pid>/stat). */
function processesInGroup(pgid: number): number[] {
  const pids: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return pids;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // The command name (field 2) may hold spaces and parentheses: fields start after the last ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) === pgid && fields[0] !== 'Z') pids.push(Number(entry));
    } catch {
      // Gone meanwhile.
    }
  }
  return pids;
}

function killGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // The group is already gone.
  }
}
