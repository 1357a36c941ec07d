import { SENDER_AUTH_REQUIREMENTS, isSenderAuthRequirement, type SenderAuthRequirement } from '../core/sender-auth-requirement.js';
import { loadConfig } from '../config/load-config.js';
import { archiveRootOf } from '../pipeline/paths.js';
import { addCustomer, listCustomers, updateCustomer } from '../db/customers-repository.js';
import { planOffboarding, purgeCustomer } from '../lifecycle/offboard-customer.js';
import { EXIT_OK } from './exit-codes.js';
import { UsageError } from './usage-error.js';
import { withDatabase } from './with-database.js';

const SLUG = /^[a-z0-9][a-z0-9_-]{0,62}$/;

function printLine(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

function print(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export async function runCustomerAdd(
  slug: string,
  options: { name?: string; address?: string[]; allowSender?: string[]; requireSenderAuth?: string },
): Promise<number> {
  if (!SLUG.test(slug)) throw new UsageError('customer add needs a slug of lower-case letters, digits, _ and - (at most 63)');
  const config = loadConfig();
  return withDatabase(config, async (db) => {
    const customer = await addCustomer(
      db,
      {
        slug,
        name: options.name ?? slug,
        ingestAddresses: options.address ?? [],
        allowedSenders: options.allowSender ?? [],
        requireSenderAuth: senderAuthOption(options.requireSenderAuth) ?? null,
      },
      { ingestDomains: config.smtp.ingestDomains },
    );
    printLine({ slug: customer.slug, name: customer.name });
    return EXIT_OK;
  });
}

export async function runCustomerUpdate(
  slug: string,
  options: { name?: string; address?: string[]; allowSender?: string[]; s3Prefix?: string[]; requireSenderAuth?: string },
): Promise<number> {
  const config = loadConfig();
  return withDatabase(config, async (db) => {
    const customer = await updateCustomer(
      db,
      slug,
      {
        name: options.name,
        ingestAddresses: options.address,
        allowedSenders: options.allowSender,
        s3Prefixes: options.s3Prefix,
        requireSenderAuth: senderAuthOption(options.requireSenderAuth),
      },
      { ingestDomains: config.smtp.ingestDomains },
    );
    if (customer === undefined) throw new UsageError(`no customer "${slug}"`);
    printLine({
      slug: customer.slug,
      name: customer.name,
      ingestAddresses: customer.ingest_addresses,
      allowedSenders: customer.allowed_senders,
      s3Prefixes: customer.s3_prefixes,
      requireSenderAuth: customer.require_sender_auth,
    });
    return EXIT_OK;
  });
}

export async function runCustomerList(): Promise<number> {
  return withDatabase(loadConfig(), async (db) => {
    for (const customer of await listCustomers(db)) {
      printLine({
        slug: customer.slug,
        name: customer.name,
        ingestAddresses: customer.ingest_addresses,
        allowedSenders: customer.allowed_senders,
        requireSenderAuth: customer.require_sender_auth,
      });
    }
    return EXIT_OK;
  });
}

/** `customer disable|enable <slug>`: the CLI side of PATCH /customers/:slug {disabled}. */
export async function runCustomerDisabled(slug: string, disabled: boolean): Promise<number> {
  return withDatabase(loadConfig(), async (db) => {
    const customer = await updateCustomer(db, slug, { disabled });
    if (customer === undefined) throw new UsageError(`no customer "${slug}"`);
    print({ slug, disabled: customer.disabled_at !== null });
    return EXIT_OK;
  });
}

/** `customer purge <slug> [--confirm TOKEN]`: the CLI side of DELETE /customers/:slug; without --confirm, the dry run. */
export async function runCustomerPurge(slug: string, options: { confirm?: string }): Promise<number> {
  const config = loadConfig();
  const deps = { dataRoot: config.dataRoot, archiveRoot: archiveRootOf(config), archiveS3: config.archive.s3 };
  return withDatabase(config, async (db) => {
    if (options.confirm === undefined) {
      const plan = await planOffboarding({ db, ...deps }, slug);
      if (plan === undefined) throw new UsageError(`no customer "${slug}"`);
      print({ ...plan, dryRun: true });
      process.stderr.write(
        plan.disabled
          ? `to remove all of this: dataprocessor customer purge ${slug} --confirm ${plan.token}\n`
          : `disable the customer first (dataprocessor customer disable ${slug}), then dry-run again\n`,
      );
      return EXIT_OK;
    }
    const result = await purgeCustomer({ db, ...deps }, { slug, token: options.confirm });
    if (result === undefined) throw new UsageError(`no customer "${slug}"`);
    print({ ...result, dryRun: false });
    return EXIT_OK;
  });
}

/** `--require-sender-auth spf|dkim|dmarc|any|none`: `none` clears it; absent leaves it as it is. */
function senderAuthOption(value: string | undefined): SenderAuthRequirement | null | undefined {
  if (value === undefined) return undefined;
  if (value === 'none') return null;
  if (!isSenderAuthRequirement(value)) throw new UsageError(`--require-sender-auth must be one of ${SENDER_AUTH_REQUIREMENTS.join(', ')} or none`);
  return value;
}
