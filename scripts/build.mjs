// The production build: `npm run build`, and `npm install` (its `prepare` step, with
// --if-possible) so that `npm install && npm start` runs compiled code. Steps: tsc into dist/, the
// default configuration beside it, the one-file mailhandler (scripts/bundle-mailhandler.mjs), and
// dist/.build-stamp last, which bin/dist-is-current.js compares with the sources.
//
//   node scripts/build.mjs [--if-possible]
// --if-possible: skip quietly (exit 0) where a build cannot happen: no sources yet (the Docker
// image's `npm ci` runs before they are copied) or no TypeScript (an install without dev packages).
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
if (process.argv.includes('--if-possible') && !(existsSync(path.join(root, 'src')) && existsSync(path.join(root, 'tsconfig.build.json')) && existsSync(tsc))) {
  console.log('build skipped: no sources or no TypeScript here (bin/dataprocessor.js then runs what there is)');
  process.exit(0);
}
rmSync(path.join(root, 'dist', '.build-stamp'), { force: true });
const compiled = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
if (compiled.status !== 0) {
  // Work in progress with type errors must not make `npm install` fail: no stamp, so the sources run.
  if (process.argv.includes('--if-possible')) {
    console.log('build skipped: tsc reported errors (the sources run through tsx until `npm run build` succeeds)');
    process.exit(0);
  }
  process.exit(compiled.status ?? 1);
}
rmSync(path.join(root, 'dist', 'config'), { recursive: true, force: true });
cpSync(path.join(root, 'config'), path.join(root, 'dist', 'config'), { recursive: true });
const bundled = spawnSync(process.execPath, [path.join(root, 'scripts', 'bundle-mailhandler.mjs')], { stdio: 'inherit' });
if (bundled.status !== 0) process.exit(bundled.status ?? 1);
writeFileSync(path.join(root, 'dist', '.build-stamp'), `${new Date().toISOString()}\n`);
