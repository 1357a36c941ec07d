import type { Command } from 'commander';
import { exitsWith } from './exit-codes.js';
import type { HoldOptions } from './hold-actions.js';

/** The implementations load the database code: only when a hold command runs. */
const actions = () => import('./hold-actions.js');

/** `hold [scope]`, `hold list` and `release <id>`: the CLI side of /api/1.0/holds. */
export function addHoldCommands(program: Command): void {
  const hold = program
    .command('hold')
    .description('stage matching arrivals but run none of them until released (at least one of the scope options)')
    .option('--customer <slug>', 'hold the arrivals of this customer')
    .option('--category <category>', 'hold this module category (e.g. hydrastor)')
    .option('--type <type>', 'hold this module type (e.g. veritas2hview)')
    .option('--group <group>', 'hold this group (e.g. a grid)')
    .option('--reason <text>', 'why, shown in hold list and in the timelines of the jobs')
    .addHelpText(
      'after',
      `
Prints the hold (with its id and the number of jobs it holds now). Jobs queued while it matches
become "held"; release runs them in arrival order.

Examples:
  $ dataprocessor hold --customer bobs_burgers --reason "parser fix pending"
  $ dataprocessor hold --category hydrastor --type veritas2hview --group grid01
  $ dataprocessor hold list
  $ dataprocessor release 3`,
    )
    .action(exitsWith(async (options: HoldOptions) => (await actions()).runHold(options)));

  hold
    .command('list')
    .description('list the holds, with the number of jobs each holds')
    .addHelpText(
      'after',
      `
Example:
  $ dataprocessor hold list`,
    )
    .action(exitsWith(async () => (await actions()).runHoldList()));

  program
    .command('release')
    .description('remove a hold: the jobs it held run, in arrival order')
    .argument('<id>', 'the id of the hold (see hold list)')
    .addHelpText(
      'after',
      `
Prints the hold and how many jobs were released.

Example:
  $ dataprocessor release 3`,
    )
    .action(exitsWith(async (id: string) => (await actions()).runRelease(id)));
}
