/**
 * The exit statuses scripts can rely on (sysexits.h where one fits). `mailhandler` has its own
 * (src/mailhandler/mailhandler-outcome.ts): Postfix reads them as bounce-or-defer.
 */
export const EXIT_OK = 0;
/** The command ran and failed: a job that did not succeed, an action the job's state refuses. */
export const EXIT_FAILURE = 1;
/** EX_USAGE: the command line is wrong, or names a customer, key, hold or job that does not exist. */
export const EXIT_USAGE = 64;
/** EX_TEMPFAIL: a retry may work (the database is down, another instance is purging). */
export const EXIT_TEMPFAIL = 75;
/** EX_CONFIG: the configuration file or environment is invalid. */
export const EXIT_CONFIG = 78;

/** Shown in `dataprocessor --help` and docs/cli.md. */
export const EXIT_CODES_HELP = `Exit codes:
  0   done
  1   failed: the job did not succeed, or its state refuses the action
  64  wrong command line (unknown command or option, missing argument), or an unknown customer, key, hold or job
  75  temporary failure, try again (database unreachable, another instance purging)
  78  invalid configuration
  mailhandler: 0 stored, 75 try later, 67 unknown user, 77 denied, 65 too large (what Postfix pipe(8) expects)`;

/**
 * Commander ignores what an action returns: the wrapped action's status becomes the process's
 * exit status (set, not process.exit(), so that stdout is flushed before the process ends).
 */
export function exitsWith<A extends unknown[]>(action: (...args: A) => Promise<number>): (...args: A) => Promise<void> {
  return async (...args) => {
    process.exitCode = await action(...args);
  };
}
