// Preloaded into a service process (`NODE_OPTIONS=--import <this file>`): when the process exits,
// it writes the CommonJS modules it loaded (require.cache, which also holds the CommonJS packages
// that ES modules import, such as the AWS SDK) as JSON to $LOADED_PACKAGES_OUT.
// Plain JavaScript: it runs before bin/dataprocessor.js registers tsx.
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const out = process.env.LOADED_PACKAGES_OUT;
if (out !== undefined) process.on('exit', () => writeFileSync(out, JSON.stringify(Object.keys(require.cache))));
