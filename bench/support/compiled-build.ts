import { spawn } from 'node:child_process';
import { cp, mkdir, symlink } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../../', import.meta.url));

/**
 * The production build (`tsc -p tsconfig.build.json`, as `npm run build` and the Docker image do)
 * made in a private folder, never in the work tree: bin/dataprocessor.js prefers `dist/` when it
 * exists, so a stale build there would change what everyone else's tests run. Returns the
 * `bin/dataprocessor.js` that starts it (plain node: no tsx, no source-map stack traces).
 */
export async function buildCompiled(workRoot: string): Promise<string> {
  const root = path.join(workRoot, 'compiled');
  const dist = path.join(root, 'dist');
  await mkdir(path.join(root, 'bin'), { recursive: true });
  await new Promise<void>((resolve, reject) => {
    // Type errors in work in progress elsewhere do not stop tsc from emitting.
    const child = spawn(
      process.execPath,
      [path.join(REPO, 'node_modules/typescript/bin/tsc'), '-p', path.join(REPO, 'tsconfig.build.json'), '--outDir', dist, '--sourceMap', 'false'],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
    child.once('error', reject);
    child.once('exit', () => resolve());
  });
  await cp(path.join(REPO, 'config'), path.join(dist, 'config'), { recursive: true });
  await cp(path.join(REPO, 'bin'), path.join(root, 'bin'), { recursive: true });
  await cp(path.join(REPO, 'package.json'), path.join(root, 'package.json'));
  await symlink(path.join(REPO, 'node_modules'), path.join(root, 'node_modules'));
  return path.join(root, 'bin', 'dataprocessor.js');
}
