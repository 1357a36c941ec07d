import type { Command } from 'commander';
import { exitsWith } from './exit-codes.js';

/** The implementations load the database code: only when an apikey command runs. */
const actions = () => import('./apikey-actions.js');

/** `apikey create|list|revoke`. */
export function addApikeyCommands(program: Command): void {
  const apikey = program
    .command('apikey')
    .description('create, list or revoke API keys (X-Api-Key)')
    .addHelpText(
      'after',
      `
Examples:
  $ dataprocessor apikey create --customer bobs_burgers --label frontend
  $ dataprocessor apikey list
  $ dataprocessor apikey revoke 12`,
    );

  apikey
    .command('create')
    .description('create a key and print it once (only its hash is stored); an admin key when no customer is given')
    .option('--customer <slug>', 'a key that sees only this customer')
    .option('--label <label>', 'what the key is for, shown in lists and job timelines')
    .addHelpText(
      'after',
      `
The key goes to stdout, a reminder to store it to stderr.

Examples:
  $ dataprocessor apikey create --customer bobs_burgers --label frontend
  $ KEY=$(dataprocessor apikey create --label ops)      # an admin key`,
    )
    .action(exitsWith(async (options: { customer?: string; label?: string }) => (await actions()).runApikeyCreate(options)));

  apikey
    .command('list')
    .description('list active keys, one JSON line each (ids and labels, never the keys)')
    .option('--customer <slug>', 'only the keys of this customer')
    .addHelpText(
      'after',
      `
Examples:
  $ dataprocessor apikey list
  $ dataprocessor apikey list --customer bobs_burgers`,
    )
    .action(exitsWith(async (options: { customer?: string }) => (await actions()).runApikeyList(options)));

  apikey
    .command('revoke')
    .description('revoke a key at once')
    .argument('<id>', 'the id of the key (see apikey list)')
    .addHelpText(
      'after',
      `
Example:
  $ dataprocessor apikey revoke 12`,
    )
    .action(exitsWith(async (id: string) => (await actions()).runApikeyRevoke(id)));
}
