import { runMailhandlerCommand } from '../cli/mailhandler-command.js';

/** sysexits EX_TEMPFAIL: whatever goes wrong here defers the message; a 1 would make Postfix bounce it. */
const EXIT_TEMPFAIL = 75;

/**
 * The entry of the mailhandler bundle (scripts/bundle-mailhandler.mjs → dist/src/mailhandler/
 * mailhandler.bundle.mjs), which bin/dataprocessor.js runs for `mailhandler` when it exists:
 * Postfix starts one process per message, and one pre-linked file loads in a fraction of the
 * time the ~770 modules of the compiled tree take. argv: node, bin, "mailhandler", …
 */
process.exitCode = await runMailhandlerCommand(process.argv.slice(3)).catch((error: unknown) => {
  process.stderr.write(`4.3.0 ${error instanceof Error ? error.message : String(error)}\n`);
  return EXIT_TEMPFAIL;
});
