import { execFile } from 'node:child_process';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
let syncCommandWorks = true;

/**
 * Makes everything written so far on the file system holding `dir` durable: syncfs(2), through
 * coreutils' `sync --file-system` (Node has no binding for it). One call covers a whole batch of
 * job folders, where fsyncing each file and directory would cost a dozen disk flushes per folder.
 * Where the command is missing or fails, every path in `fallback` is fsynced instead (files
 * and directories alike), which is just as durable, only slower.
 */
export async function syncFileSystem(dir: string, fallback: () => readonly string[]): Promise<void> {
  if (syncCommandWorks) {
    try {
      await run('sync', ['--file-system', dir], { timeout: 120_000 });
      return;
    } catch {
      syncCommandWorks = false;
    }
  }
  const paths = [...new Set(fallback())];
  for (let index = 0; index < paths.length; index += 16) {
    await Promise.all(paths.slice(index, index + 16).map(async (target) => {
      const handle = await open(target, 'r');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
    }));
  }
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
