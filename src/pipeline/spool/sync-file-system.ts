import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { open } from 'node:fs/promises';
import { release } from 'node:os';
import path from 'node:path';
import { createInterface, type Interface } from 'node:readline';

/**
 * A shell that runs coreutils' `sync --file-system` (syncfs(2): Node has no binding for it) for
 * each folder written to its stdin and answers `ok` or `fail`. Forking `sync` from Node itself
 * would copy the page tables of a process of a few hundred MiB at every call, blocking the
 * event loop for milliseconds; the small shell forks instead.
 */
const SYNC_LOOP = 'while IFS= read -r dir; do if sync --file-system -- "$dir"; then echo ok; else echo fail; fi; done';

let helper: { readonly child: ChildProcessWithoutNullStreams; readonly lines: Interface } | undefined;
// Before Linux 5.8, syncfs(2) returned 0 even when writing back a file had failed: it could not
// be trusted as the proof that a batch is durable there, so such kernels fsync each path.
let helperWorks = process.platform === 'linux' && syncfsReportsErrors(release());
let queue: Promise<unknown> = Promise.resolve();

/**
 * Makes everything written so far on the file system holding `dir` durable. One syncfs covers a
 * whole batch of job folders, where fsyncing each file and directory would cost a dozen disk
 * flushes per folder. Where the command is missing or fails, every path in `fallback` is fsynced
 * instead (files and directories alike), which is just as durable, only slower.
 */
export async function syncFileSystem(dir: string, fallback: () => readonly string[]): Promise<void> {
  const result = queue.then(() => syncWithHelper(dir));
  queue = result.catch(() => undefined);
  if (await result) return;
  await fsyncEach([...new Set(fallback())]);
}

/** Ends the helper shell after a failure (it also ends by itself with this process: its stdin closes). */
function stopSyncHelper(): void {
  helper?.child.stdin.end();
  helper?.child.kill();
  helper = undefined;
}

async function syncWithHelper(dir: string): Promise<boolean> {
  if (!helperWorks || dir.includes('\n')) return false;
  try {
    helper ??= startHelper();
    const current = helper;
    let onLine!: (line: string) => void;
    let onExit!: () => void;
    const answer = new Promise<string>((resolve, reject) => {
      onLine = resolve;
      onExit = () => reject(new Error('the sync helper ended'));
      current.lines.once('line', onLine);
      current.child.once('exit', onExit);
    });
    current.child.stdin.write(`${dir}\n`);
    try {
      if ((await answer) === 'ok') return true;
    } finally {
      current.lines.off('line', onLine);
      current.child.off('exit', onExit);
    }
  } catch {
    stopSyncHelper();
  }
  helperWorks = false;
  return false;
}

function startHelper(): { child: ChildProcessWithoutNullStreams; lines: Interface } {
  const child = spawn('sh', ['-c', SYNC_LOOP], { stdio: ['pipe', 'pipe', 'pipe'] });
  child.on('error', () => {
    helperWorks = false;
  });
  child.stdin.on('error', () => undefined);
  // The helper must never keep the process alive on its own.
  child.unref();
  for (const stream of [child.stdin, child.stdout, child.stderr] as const) (stream as unknown as { unref?: () => void }).unref?.();
  return { child, lines: createInterface({ input: child.stdout }) };
}

async function fsyncEach(paths: readonly string[]): Promise<void> {
  for (let index = 0; index < paths.length; index += 16) {
    await Promise.all(
      paths.slice(index, index + 16).map(async (target) => {
        const handle = await open(target, 'r');
        try {
          await handle.sync();
        } finally {
          await handle.close();
        }
      }),
    );
  }
}

/** Whether a Linux kernel release (`uname -r`) reports writeback errors from syncfs(2): 5.8 and later. */
export function syncfsReportsErrors(kernelRelease: string): boolean {
  const match = /^(\d+)\.(\d+)/.exec(kernelRelease);
  if (match === null) return false;
  const [major, minor] = [Number(match[1]), Number(match[2])];
  return major > 5 || (major === 5 && minor >= 8);
}

/** Every ancestor of `target` up to and including `root` (the directories a new folder's name lives in). */
export function ancestorsUpTo(target: string, root: string): string[] {
  const chain: string[] = [];
  for (let current = path.dirname(target); current.startsWith(root); current = path.dirname(current)) {
    chain.push(current);
    if (current === root) break;
  }
  return chain;
}
