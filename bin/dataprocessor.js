#!/usr/bin/env node
// Runs the compiled build when it is current (made by `npm install` or `npm run build`; the Docker
// image), else the TypeScript sources through tsx (bin/dist-is-current.js says which).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { distIsCurrent } from './dist-is-current.js';
import { relayMessage, relayTarget } from './mailhandler-relay.js';

// The AWS SDK is pinned to 3.1175.x, the last line that supports Node 20 (see docs/operations.md);
// its start-up notice about future Node 22 requirements would only confuse operators here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
// libuv runs file system calls on 4 threads by default: the spool's fdatasync would queue behind
// the folder writes of its own drain and the uploads. Must be set before the first fs call.
process.env.UV_THREADPOOL_SIZE ??= '16';

const args = process.argv.slice(2);
// Postfix runs the mailhandler once per message. With `--relay host:port` it hands the message to
// the running service's SMTP listener, using Node's own modules only: no application to load, no
// build to check. When the relay cannot take it (service down, …), the direct path below does,
// and a note after its line tells the Postfix log why (pipe(8) reads the status from the start).
const relay = args[0] === 'mailhandler' ? relayTarget(args.slice(1)) : undefined;
if (relay !== undefined) {
  const relayed = await relayMessage({ target: relay, argv: args.slice(1), message: process.stdin });
  if (relayed.fallback === undefined) {
    process.stdin.destroy();
    (relayed.exitCode === 0 ? process.stdout : process.stderr).write(`${relayed.line}\n`);
    process.exit(relayed.exitCode);
  }
  process.once('exit', () => process.stderr.write(`relay not used (${relayed.fallback}): the direct path answered\n`));
}

const compiled = fileURLToPath(new URL('../dist/src/cli.js', import.meta.url));
// Postfix runs the mailhandler once per message: the build's one-file bundle starts fastest.
const mailhandlerBundle = fileURLToPath(new URL('../dist/src/mailhandler/mailhandler.bundle.mjs', import.meta.url));
const current = distIsCurrent(fileURLToPath(new URL('..', import.meta.url)));
if (current && args[0] === 'mailhandler' && !args.includes('--help') && !args.includes('-h') && existsSync(mailhandlerBundle)) {
  await import(mailhandlerBundle);
} else if (current && existsSync(compiled)) {
  await import(compiled);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli.ts');
}
