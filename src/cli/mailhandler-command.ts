import type { Command } from 'commander';
import { exitsWith } from './exit-codes.js';

/**
 * `mailhandler`: one message on stdin from Postfix pipe(8). Commander only routes here and
 * answers --help: the envelope is read from the raw arguments by parseMailhandlerArgs, because
 * pipe(8) passes the null sender as an empty argument, an address may begin with `-`, and one
 * `${recipient}` may expand to several bare arguments; and a malformed master.cf line must defer
 * the mail (75), never fail with a usage status that Postfix would bounce.
 */
export function addMailhandlerCommand(program: Command, rawArgs: () => readonly string[]): void {
  program
    .command('mailhandler')
    .description('accept one message from stdin (Postfix pipe(8)); exit 0 stored, 75 try later, 67 unknown user, 77 denied, 65 too large')
    .usage('--sender S --recipient R [--recipient R]... [--queue-id Q] [--client-address A] [--relay HOST:PORT] < message')
    .argument('[recipients...]', 'further recipients (pipe(8) expands ${recipient} to one argument each)')
    .allowUnknownOption()
    .allowExcessArguments()
    .addHelpText(
      'after',
      `
Options (read verbatim, "--name value" or "--name=value"):
  --sender S            envelope sender; '' or '<>' for the null sender (required)
  --recipient R         envelope recipient (repeatable; at least one)
  --queue-id Q          Postfix \${queue_id}, kept on the job
  --client-address A    Postfix \${client_address}, kept on the job
  --relay HOST:PORT     hand the message to the running service's SMTP listener (fast: no
                        application to load); when it cannot take it, the message is delivered
                        directly as without this option

Writes one line: to stdout when stored, to stderr (Postfix logs it and puts it in the bounce) otherwise.

Example (master.cf):
  dataprocessor unix  -  n  n  -  -  pipe
    flags=RXq user=mailbox null_sender=
    argv=/usr/bin/node /app/bin/dataprocessor.js mailhandler --sender \${sender} --recipient \${recipient} --queue-id \${queue_id} --client-address \${client_address}

Example (by hand):
  $ dataprocessor mailhandler --sender alerts@grid.example --recipient bobs_burgers@ingest.hview.example < alert.eml`,
    )
    .action(exitsWith(async () => runMailhandlerCommand(rawArgs())));
}

/**
 * Loaded lazily, like the service itself, so a per-message process reads no HTTP, SMTP or S3
 * code. The line goes to stdout on success (Postfix logs it) and to stderr on failure (Postfix
 * puts it in the log and the bounce).
 */
export async function runMailhandlerCommand(args: readonly string[]): Promise<number> {
  const [{ runMailhandler }, { loadConfig }] = await Promise.all([import('../mailhandler/run-mailhandler.js'), import('../config/load-config.js')]);
  const outcome = await runMailhandler({ argv: args, loadConfig: () => loadConfig(), message: process.stdin });
  // A refusal leaves stdin unread; an open pipe must not keep the process alive.
  process.stdin.destroy();
  (outcome.exitCode === 0 ? process.stdout : process.stderr).write(`${outcome.line}\n`);
  return outcome.exitCode;
}
