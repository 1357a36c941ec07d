import { parseArgs } from 'node:util';
import type { Kysely } from 'kysely';
import { updateCustomer } from '../db/customers-repository.js';
import type { Database } from '../db/database-schema.js';
import { addHold, listHolds, releaseHold } from '../db/holds-repository.js';
import { holdView } from '../http/admin/admin-views.js';
import { planOffboarding, purgeCustomer } from '../lifecycle/offboard-customer.js';
import { UsageError } from './usage-error.js';

export type WithDatabase = <T>(run: (db: Kysely<Database>) => Promise<T>) => Promise<T>;

const CLI_ACTOR = 'cli';

function print(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/**
 * `customer disable|enable <slug>` and `customer purge <slug> [--confirm TOKEN]`: the CLI side of
 * DELETE /customers/:slug. Without --confirm, purge is the dry run (counts and the token).
 */
export async function customerLifecycleCommand(
  sub: 'disable' | 'enable' | 'purge',
  args: readonly string[],
  withDatabase: WithDatabase,
  dataRoot: string,
): Promise<number> {
  const { values, positionals } = parseArgs({ args: [...args], allowPositionals: true, options: { confirm: { type: 'string' } } });
  const slug = positionals[0];
  if (slug === undefined) throw new UsageError(`customer ${sub} needs the slug`);
  return withDatabase(async (db) => {
    if (sub !== 'purge') {
      const customer = await updateCustomer(db, slug, { disabled: sub === 'disable' });
      if (customer === undefined) throw new UsageError(`no customer "${slug}"`);
      print({ slug, disabled: customer.disabled_at !== null });
      return 0;
    }
    if (values.confirm === undefined) {
      const plan = await planOffboarding({ db, dataRoot }, slug);
      if (plan === undefined) throw new UsageError(`no customer "${slug}"`);
      print({ ...plan, dryRun: true });
      process.stderr.write(
        plan.disabled
          ? `to remove all of this: dataprocessor customer purge ${slug} --confirm ${plan.token}\n`
          : `disable the customer first (dataprocessor customer disable ${slug}), then dry-run again\n`,
      );
      return 0;
    }
    const result = await purgeCustomer({ db, dataRoot }, { slug, token: values.confirm });
    if (result === undefined) throw new UsageError(`no customer "${slug}"`);
    print({ ...result, dryRun: false });
    return 0;
  });
}

/** `hold [--customer S] [--category C] [--type T] [--group G] [--reason R]`, `hold list`, and `release <id>`. */
export async function holdCommand(command: 'hold' | 'release', args: readonly string[], withDatabase: WithDatabase): Promise<number> {
  if (command === 'release') {
    const id = args[0];
    if (id === undefined) throw new UsageError('release needs the hold id (see hold list)');
    return withDatabase(async (db) => {
      const result = await releaseHold(db, { id, releasedBy: CLI_ACTOR });
      if (result === undefined) throw new UsageError(`no hold ${id}`);
      print({ ...holdView(result.hold, 0), released: result.released });
      return 0;
    });
  }
  if (args[0] === 'list') {
    return withDatabase(async (db) => {
      print({ holds: (await listHolds(db)).map(({ hold, heldJobs }) => holdView(hold, heldJobs)) });
      return 0;
    });
  }
  const { values } = parseArgs({
    args: [...args],
    options: {
      customer: { type: 'string' },
      category: { type: 'string' },
      type: { type: 'string' },
      group: { type: 'string' },
      reason: { type: 'string' },
    },
  });
  if ([values.customer, values.category, values.type, values.group].every((value) => value === undefined)) {
    throw new UsageError('hold needs at least one of --customer, --category, --type, --group');
  }
  return withDatabase(async (db) => {
    const { hold, heldJobs } = await addHold(db, { ...values, reason: values.reason ?? '', createdBy: CLI_ACTOR });
    print(holdView(hold, heldJobs));
    return 0;
  });
}
