// Whether the compiled build (dist/) may run: always when this tree has no sources (a Docker image,
// a private build), else only when it was built after the last change to src/, config/ or
// migrations/ (dist/.build-stamp, written by scripts/build.mjs). A stale build is never run: a
// developer who edits a file and runs a command gets what the sources say, through tsx.
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

const SOURCE_DIRS = ['src', 'config', 'migrations'];

export function distIsCurrent(root) {
  if (!existsSync(path.join(root, 'src'))) return true;
  const stamp = path.join(root, 'dist', '.build-stamp');
  if (!existsSync(stamp)) return false;
  const builtAt = statSync(stamp).mtimeMs;
  return SOURCE_DIRS.every((dir) => newestChange(path.join(root, dir)) <= builtAt);
}

function newestChange(dir) {
  if (!existsSync(dir)) return 0;
  let newest = statSync(dir).mtimeMs;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    const file = path.join(entry.parentPath ?? entry.path, entry.name);
    newest = Math.max(newest, statSync(file).mtimeMs);
  }
  return newest;
}
