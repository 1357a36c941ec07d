import type { Command } from 'commander';
import { EXIT_OK, exitsWith } from './exit-codes.js';

/** `migrate`: the database schema to the latest version, then exit (serve does the same at start). */
export function addMigrateCommand(program: Command): void {
  program
    .command('migrate')
    .description('apply pending database migrations and exit')
    .addHelpText(
      'after',
      `
Prints "database is up to date" or the migrations it applied. Safe to run on every deployment and
from several instances at once (migrations take a lock).

Examples:
  $ dataprocessor migrate
  $ DATABASE_URL=postgres://dp@db/dp dataprocessor migrate`,
    )
    .action(
      exitsWith(async () => {
        const [{ loadConfig }, { withDatabase }, { migrateToLatest }] = await Promise.all([
          import('../config/load-config.js'),
          import('./with-database.js'),
          import('../db/migrate-to-latest.js'),
        ]);
        const applied = await withDatabase(loadConfig(), (db) => migrateToLatest(db), { migrate: false });
        process.stdout.write(applied.length === 0 ? 'database is up to date\n' : `applied: ${applied.join(', ')}\n`);
        return EXIT_OK;
      }),
    );
}
