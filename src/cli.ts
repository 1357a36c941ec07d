import type { Command } from 'commander';
import { EXIT_CODES_HELP, EXIT_FAILURE, EXIT_TEMPFAIL, EXIT_USAGE, EXIT_CONFIG, EXIT_OK } from './cli/exit-codes.js';
import { runMailhandlerCommand } from './cli/mailhandler-command.js';
import { UsageError } from './cli/usage-error.js';

/**
 * The command line. Commander parses; each src/cli/*-command(s).ts defines its commands with help
 * and examples and loads its implementation only when one runs, so `--help` reads no
 * configuration and opens no database. Everything is imported on demand: `mailhandler`, which
 * Postfix starts once per message, goes straight to its handler without even the parser.
 */
async function buildProgram(argv: readonly string[]): Promise<Command> {
  const [{ Command }, serve, migrate, customer, apikey, hold, ingest, jobs, purge, mailhandler] = await Promise.all([
    import('commander'),
    import('./cli/serve-command.js'),
    import('./cli/migrate-command.js'),
    import('./cli/customer-commands.js'),
    import('./cli/apikey-commands.js'),
    import('./cli/hold-commands.js'),
    import('./cli/ingest-command.js'),
    import('./cli/jobs-commands.js'),
    import('./cli/purge-command.js'),
    import('./cli/mailhandler-command.js'),
  ]);
  const program = new Command('dataprocessor')
    .description('Ingest backend of HView: SMTP, S3 events and REST into one job pipeline')
    // Every commander error becomes a CommanderError for exitCodeForError (64), not process.exit(1).
    .exitOverride()
    .showHelpAfterError('(add --help for usage and examples)')
    .addHelpText(
      'after',
      `
Configuration: config/default.json, then the file named by DP_CONFIG (or ./config.json), then the
environment (DATABASE_URL, DP_DATA_ROOT, DP_LOG_DIR, DP_HTTP_PORT, DP_SMTP_PORT, DP_ADMIN_API_KEY, ...).

${EXIT_CODES_HELP}

Examples:
  $ dataprocessor serve
  $ dataprocessor customer add bobs_burgers --name "Bob's Burgers" --address reports@bobs.example
  $ dataprocessor ingest report.eml --customer bobs_burgers --wait
  $ dataprocessor jobs list --status failed
  $ dataprocessor customer add --help`,
    );
  serve.addServeCommand(program);
  migrate.addMigrateCommand(program);
  customer.addCustomerCommands(program);
  apikey.addApikeyCommands(program);
  hold.addHoldCommands(program);
  ingest.addIngestCommand(program);
  jobs.addJobsCommands(program);
  purge.addPurgeCommand(program);
  // The program has no options of its own, so the mailhandler's arguments are all after argv[0].
  mailhandler.addMailhandlerCommand(program, () => argv.slice(1));
  // Subcommands copied the short hint above when they were added; an unknown command gets the list.
  program.showHelpAfterError(true);
  return program;
}

/** The one mapping from a thrown error to an exit status; prints the message (no stack) where one is due. */
async function exitCodeForError(error: unknown): Promise<number> {
  const [{ CommanderError }, { ConfigError }, { toIngestError }] = await Promise.all([
    import('commander'),
    import('./config/load-config.js'),
    import('./core/ingest-error.js'),
  ]);
  // Help asked for exits 0; for the rest commander has printed its message and a usage hint.
  if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
  process.stderr.write(`dataprocessor: ${error instanceof Error ? error.message : String(error)}\n`);
  if (error instanceof UsageError) return EXIT_USAGE;
  if (error instanceof ConfigError) return EXIT_CONFIG;
  if ((error as { transient?: unknown } | null)?.transient === true) return EXIT_TEMPFAIL;
  // A system or PostgreSQL error known to pass (a refused connection, a database restart) is
  // worth a retry; toIngestError calls anything else INTERNAL, and a script must not loop on a bug.
  const failure = toIngestError(error);
  return failure.transient && failure.code !== 'INTERNAL' ? EXIT_TEMPFAIL : EXIT_FAILURE;
}

async function main(argv: readonly string[]): Promise<number> {
  // Postfix pipe(8), once per message: its own argument reader and sysexits statuses. Whatever
  // goes wrong defers the message (75); a 1 or a 64 would bounce it.
  if (argv[0] === 'mailhandler' && !argv.includes('--help') && !argv.includes('-h')) {
    return runMailhandlerCommand(argv.slice(1)).catch((error: unknown) => {
      process.stderr.write(`4.3.0 ${error instanceof Error ? error.message : String(error)}\n`);
      return EXIT_TEMPFAIL;
    });
  }
  try {
    const program = await buildProgram(argv);
    if (argv.length === 0) {
      program.outputHelp();
      return EXIT_USAGE;
    }
    await program.parseAsync([...argv], { from: 'user' });
    // The action set it (exitsWith); a command that only printed its help did not.
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT_OK;
  } catch (error) {
    return exitCodeForError(error);
  }
}

process.exitCode = await main(process.argv.slice(2));
