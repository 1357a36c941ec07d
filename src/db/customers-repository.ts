import { sql, type Kysely, type Transaction } from 'kysely';
import { findRouteClashes, normalizeS3Prefix, type RouteClash } from '../routing/find-route-clashes.js';
import { IngestError } from '../core/ingest-error.js';
import type { SenderAuthRequirement } from '../core/sender-auth-requirement.js';
import { normalizeAddress, type RecipientCustomer } from '../routing/route-recipient.js';
import type { SenderPolicy } from '../routing/sender-security-report.js';
import type { CustomerRow, Database } from './database-schema.js';

export interface NewCustomer {
  readonly slug: string;
  readonly name: string;
  readonly ingestAddresses?: readonly string[];
  readonly allowedSenders?: readonly string[];
  readonly s3Prefixes?: readonly string[];
  readonly requireSenderAuth?: SenderAuthRequirement | null;
}

/**
 * Adds a customer (throws on a taken slug). Throws `ROUTE_TAKEN` when one of its routes is
 * another customer's: see `writeCustomer`.
 */
export async function addCustomer(db: Kysely<Database>, customer: NewCustomer, options: RouteCheckOptions = {}): Promise<CustomerRow> {
  const created = await addCustomerIfNew(db, customer, options);
  if (created === undefined) throw new IngestError('CONFLICT', `a customer "${customer.slug}" exists already`);
  return created;
}

export async function findCustomerBySlug(db: Kysely<Database>, slug: string): Promise<CustomerRow | undefined> {
  return db.selectFrom('customers').selectAll().where('slug', '=', slug).executeTakeFirst();
}

export async function listCustomers(db: Kysely<Database>): Promise<CustomerRow[]> {
  return db.selectFrom('customers').selectAll().orderBy('slug').execute();
}

/** Every customer as recipient routing and the sender checks see it (SMTP listener, mailhandler). */
export async function listRecipientCustomers(db: Kysely<Database>): Promise<RecipientCustomer[]> {
  return (await listCustomers(db)).map((row) => ({
    slug: row.slug,
    ingestAddresses: row.ingest_addresses,
    allowedSenders: row.allowed_senders,
    disabled: row.disabled_at !== null,
    requireSenderAuth: row.require_sender_auth,
  }));
}

/** Every enabled customer's sender settings, by slug, for the sender-security report (start-up log, /readyz). */
export async function listSenderPolicies(db: Kysely<Database>): Promise<SenderPolicy[]> {
  const rows = await db
    .selectFrom('customers')
    .select(['slug', 'allowed_senders', 'require_sender_auth'])
    .where('disabled_at', 'is', null)
    .orderBy('slug')
    .execute();
  return rows.map((row) => ({ slug: row.slug, allowedSenders: row.allowed_senders, requireSenderAuth: row.require_sender_auth }));
}

/**
 * Adds a customer unless the slug is taken; undefined means it was (the API answers 409). Throws
 * `ROUTE_TAKEN` when one of its routes is another customer's.
 */
export async function addCustomerIfNew(
  db: Kysely<Database>,
  customer: CustomerChanges & { readonly slug: string; readonly name: string },
  options: RouteCheckOptions = {},
): Promise<CustomerRow | undefined> {
  return writeCustomer(db, customer.slug, options, async (trx) => {
    const taken = await trx.selectFrom('customers').select('id').where('slug', '=', customer.slug).executeTakeFirst();
    if (taken !== undefined) return undefined;
    return trx
      .insertInto('customers')
      .values({
        slug: customer.slug,
        name: customer.name,
        ingest_addresses: [...(customer.ingestAddresses ?? [])],
        allowed_senders: [...(customer.allowedSenders ?? [])],
        s3_prefixes: [...(customer.s3Prefixes ?? [])],
        require_sender_auth: customer.requireSenderAuth ?? null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
  });
}

/** The fields an update may change; the slug never changes (job folders and jobs are named after it). */
export interface CustomerChanges {
  readonly name?: string | undefined;
  readonly ingestAddresses?: readonly string[] | undefined;
  readonly allowedSenders?: readonly string[] | undefined;
  readonly s3Prefixes?: readonly string[] | undefined;
  /** The verdict its mail must carry; null removes the requirement. */
  readonly requireSenderAuth?: SenderAuthRequirement | null | undefined;
  /** True disables the customer (arrivals and its API keys refused, data kept; disabling twice keeps the first time); false enables it. */
  readonly disabled?: boolean | undefined;
}

/** Changes a customer; undefined when there is none. Throws `ROUTE_TAKEN` when a new route is another customer's. */
export async function updateCustomer(
  db: Kysely<Database>,
  slug: string,
  changes: CustomerChanges,
  options: RouteCheckOptions = {},
): Promise<CustomerRow | undefined> {
  return writeCustomer(db, slug, options, (trx) =>
    trx
      .updateTable('customers')
      .set({
        updated_at: new Date(),
        ...(changes.name === undefined ? {} : { name: changes.name }),
        ...(changes.ingestAddresses === undefined ? {} : { ingest_addresses: [...changes.ingestAddresses] }),
        ...(changes.allowedSenders === undefined ? {} : { allowed_senders: [...changes.allowedSenders] }),
        ...(changes.s3Prefixes === undefined ? {} : { s3_prefixes: [...changes.s3Prefixes] }),
        ...(changes.requireSenderAuth === undefined ? {} : { require_sender_auth: changes.requireSenderAuth }),
        ...(changes.disabled === undefined ? {} : { disabled_at: changes.disabled ? sql<Date>`coalesce(disabled_at, now())` : null }),
      })
      .where('slug', '=', slug)
      .returningAll()
      .executeTakeFirst(),
  );
}

export interface RouteCheckOptions {
  /** `smtp.ingestDomains`: an address there whose local part or `+tag` is another customer's slug clashes with it. */
  readonly ingestDomains?: readonly string[];
}

/** Serializes every customer write across processes, so the check below sees committed routes only. */
const CUSTOMER_ROUTES_LOCK = sql`hashtext('dataprocessor.customer_routes')`;
const UNIQUE_VIOLATION = '23505';

/**
 * Runs `write` (an insert or update of `slug`'s row) in one transaction with the route check: the
 * written customer must hold no route another customer holds (findRouteClashes), else the
 * transaction rolls back with `ROUTE_TAKEN` naming the holder. Its `customer_routes` rows are
 * rewritten too, and their primary key is the database's own guard against a concurrent write.
 * Clashes among other customers (written before this check existed) do not block this one.
 */
async function writeCustomer(
  db: Kysely<Database>,
  slug: string,
  options: RouteCheckOptions,
  write: (trx: Transaction<Database>) => Promise<CustomerRow | undefined>,
): Promise<CustomerRow | undefined> {
  try {
    return await db.transaction().execute(async (trx) => {
      await sql`SELECT pg_advisory_xact_lock(${CUSTOMER_ROUTES_LOCK})`.execute(trx);
      const row = await write(trx);
      if (row === undefined) return undefined;
      const everyone = await trx.selectFrom('customers').select(['slug', 'ingest_addresses', 's3_prefixes']).execute();
      const clash = findRouteClashes({
        customers: everyone.map((customer) => ({ slug: customer.slug, ingestAddresses: customer.ingest_addresses, s3Prefixes: customer.s3_prefixes })),
        ingestDomains: options.ingestDomains ?? [],
      }).find((candidate) => candidate.customers.includes(slug));
      if (clash !== undefined) throw routeTaken(slug, clash, row);
      await trx.deleteFrom('customer_routes').where('customer_id', '=', row.id).execute();
      const routes = [
        ...[...new Set(row.ingest_addresses.map(normalizeAddress))].map((route) => ({ kind: 'address' as const, route, customer_id: row.id })),
        ...[...new Set(row.s3_prefixes.map(normalizeS3Prefix))].map((route) => ({ kind: 's3_prefix' as const, route, customer_id: row.id })),
      ];
      if (routes.length > 0) await trx.insertInto('customer_routes').values(routes).execute();
      return row;
    });
  } catch (error) {
    if ((error as { code?: unknown }).code === UNIQUE_VIOLATION && (error as { constraint?: unknown }).constraint === 'customer_routes_pkey') {
      throw new IngestError('ROUTE_TAKEN', `a route of customer "${slug}" was just given to another customer; look at the customers and try again`, {
        cause: error,
      });
    }
    throw error;
  }
}

/** The 409's message names the field, the route and the customer(s) holding it already. */
function routeTaken(slug: string, clash: RouteClash, row: CustomerRow): IngestError {
  const holders = clash.customers.filter((holder) => holder !== slug);
  const holderText = holders.map((holder) => `"${holder}"`).join(' and ');
  let field = 'slug';
  if (clash.kind === 's3Prefix') {
    field = `s3Prefixes.${row.s3_prefixes.findIndex((prefix) => normalizeS3Prefix(prefix) === clash.route)}`;
  } else {
    const index = row.ingest_addresses.findIndex((address) => normalizeAddress(address) === clash.route);
    if (index >= 0) field = `ingestAddresses.${index}`;
  }
  const message =
    field === 'slug'
      ? `slug: mail to ${JSON.stringify(clash.route)} would reach "${slug}" by its slug, but that address is routed to customer ${holderText}`
      : `${field}: ${JSON.stringify(clash.route)} is already routed to customer ${holderText}`;
  return new IngestError('ROUTE_TAKEN', message, { details: { field, route: clash.route, holders } });
}
