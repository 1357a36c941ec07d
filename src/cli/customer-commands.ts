import type { Command } from 'commander';
import { exitsWith } from './exit-codes.js';
import { repeatable } from './repeatable-option.js';

/** The implementations load the database code: only when a customer command runs. */
const actions = () => import('./customer-actions.js');

/** `customer add|update|list|disable|enable|purge`. */
export function addCustomerCommands(program: Command): void {
  const customer = program
    .command('customer')
    .description('add, change, list, disable, enable or purge customers')
    .addHelpText(
      'after',
      `
Examples:
  $ dataprocessor customer add bobs_burgers --name "Bob's Burgers" --address reports@bobs.example
  $ dataprocessor customer list
  $ dataprocessor customer disable bobs_burgers`,
    );

  customer
    .command('add')
    .description('add a customer')
    .argument('<slug>', 'lower-case letters, digits, _ and - (at most 63); the ingest address <slug>@<ingest domain> routes to it')
    .option('--name <name>', 'display name (default: the slug)')
    .option('--address <address>', 'a further ingest address (repeatable)', repeatable)
    .option('--allow-sender <pattern>', 'accept mail only from these senders: an address or @domain (repeatable; none = any sender)', repeatable)
    .option('--require-sender-auth <verdict>', 'refuse mail without a trusted pass of spf, dkim, dmarc or any of them (none: no requirement)')
    .addHelpText(
      'after',
      `
Prints {"slug","name"} as one JSON line.

Examples:
  $ dataprocessor customer add bobs_burgers --name "Bob's Burgers" --address reports@bobs.example --allow-sender @bobs.example
  $ dataprocessor customer add icecream`,
    )
    .action(
      exitsWith(async (slug: string, options: { name?: string; address?: string[]; allowSender?: string[]; requireSenderAuth?: string }) =>
        (await actions()).runCustomerAdd(slug, options),
      ),
    );

  customer
    .command('update')
    .description('change a customer; every list given replaces the stored one')
    .argument('<slug>', 'the customer')
    .option('--name <name>', 'display name')
    .option('--address <address>', 'ingest address (repeatable; replaces the stored list)', repeatable)
    .option('--allow-sender <pattern>', 'allowed sender, an address or @domain (repeatable; replaces the stored list)', repeatable)
    .option('--s3-prefix <prefix>', 'S3 key prefix routed to this customer (repeatable; replaces the stored list)', repeatable)
    .option('--require-sender-auth <verdict>', 'refuse mail without a trusted pass of spf, dkim, dmarc or any of them (none: no requirement)')
    .addHelpText(
      'after',
      `
Prints the customer as one JSON line.

Examples:
  $ dataprocessor customer update bobs_burgers --allow-sender @bobs.example --allow-sender alerts@grid.example
  $ dataprocessor customer update bobs_burgers --s3-prefix bobs/`,
    )
    .action(
      exitsWith(async (slug: string, options: { name?: string; address?: string[]; allowSender?: string[]; s3Prefix?: string[]; requireSenderAuth?: string }) =>
        (await actions()).runCustomerUpdate(slug, options),
      ),
    );

  customer
    .command('list')
    .description('list customers, one JSON line each')
    .addHelpText(
      'after',
      `
Examples:
  $ dataprocessor customer list
  $ dataprocessor customer list | jq -r .slug`,
    )
    .action(exitsWith(async () => (await actions()).runCustomerList()));

  for (const [name, disabled] of [
    ['disable', true],
    ['enable', false],
  ] as const) {
    customer
      .command(name)
      .description(disabled ? 'refuse its arrivals and API keys, keep its data' : 'accept its arrivals and API keys again')
      .argument('<slug>', 'the customer')
      .addHelpText(
        'after',
        `
Prints {"slug","disabled"}.

Example:
  $ dataprocessor customer ${name} bobs_burgers`,
      )
      .action(exitsWith(async (slug: string) => (await actions()).runCustomerDisabled(slug, disabled)));
  }

  customer
    .command('purge')
    .description('remove a disabled customer for good: without --confirm a dry run (counts and the token)')
    .argument('<slug>', 'the customer (disable it first)')
    .option('--confirm <token>', 'the token of the dry run: removes the files, jobs, keys and module rows')
    .addHelpText(
      'after',
      `
The dry run prints what would go and a token that stands for exactly those counts until it expires.

Examples:
  $ dataprocessor customer disable bobs_burgers
  $ dataprocessor customer purge bobs_burgers                      # dry run: counts and token
  $ dataprocessor customer purge bobs_burgers --confirm <token>`,
    )
    .action(exitsWith(async (slug: string, options: { confirm?: string }) => (await actions()).runCustomerPurge(slug, options)));
}
