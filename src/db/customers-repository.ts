import type { Kysely } from 'kysely';
import type { CustomerRow, Database } from './database-schema.js';

export interface NewCustomer {
  readonly slug: string;
  readonly name: string;
  readonly ingestAddresses?: readonly string[];
  readonly allowedSenders?: readonly string[];
  readonly s3Prefixes?: readonly string[];
}

export async function addCustomer(db: Kysely<Database>, customer: NewCustomer): Promise<CustomerRow> {
  return db.insertInto('customers').values({
    slug: customer.slug,
    name: customer.name,
    ingest_addresses: [...(customer.ingestAddresses ?? [])],
    allowed_senders: [...(customer.allowedSenders ?? [])],
    s3_prefixes: [...(customer.s3Prefixes ?? [])],
  }).returningAll().executeTakeFirstOrThrow();
}

export async function findCustomerBySlug(db: Kysely<Database>, slug: string): Promise<CustomerRow | undefined> {
  return db.selectFrom('customers').selectAll().where('slug', '=', slug).executeTakeFirst();
}

export async function listCustomers(db: Kysely<Database>): Promise<CustomerRow[]> {
  return db.selectFrom('customers').selectAll().orderBy('slug').execute();
}

/** Adds a customer unless the slug is taken; undefined means it was (the API answers 409). */
export async function addCustomerIfNew(db: Kysely<Database>, customer: CustomerChanges & { readonly slug: string; readonly name: string }): Promise<CustomerRow | undefined> {
  return db.insertInto('customers').values({
    slug: customer.slug,
    name: customer.name,
    ingest_addresses: [...(customer.ingestAddresses ?? [])],
    allowed_senders: [...(customer.allowedSenders ?? [])],
    s3_prefixes: [...(customer.s3Prefixes ?? [])],
  }).onConflict((conflict) => conflict.column('slug').doNothing()).returningAll().executeTakeFirst();
}

/** The fields an update may change; the slug never changes (job folders and jobs are named after it). */
export interface CustomerChanges {
  readonly name?: string | undefined;
  readonly ingestAddresses?: readonly string[] | undefined;
  readonly allowedSenders?: readonly string[] | undefined;
  readonly s3Prefixes?: readonly string[] | undefined;
}

export async function updateCustomer(db: Kysely<Database>, slug: string, changes: CustomerChanges): Promise<CustomerRow | undefined> {
  return db.updateTable('customers').set({
    updated_at: new Date(),
    ...(changes.name === undefined ? {} : { name: changes.name }),
    ...(changes.ingestAddresses === undefined ? {} : { ingest_addresses: [...changes.ingestAddresses] }),
    ...(changes.allowedSenders === undefined ? {} : { allowed_senders: [...changes.allowedSenders] }),
    ...(changes.s3Prefixes === undefined ? {} : { s3_prefixes: [...changes.s3Prefixes] }),
  }).where('slug', '=', slug).returningAll().executeTakeFirst();
}

/** Removes a customer and (by cascade) its API keys. Its jobs stay: they name the slug, not the row. */
export async function deleteCustomer(db: Kysely<Database>, slug: string): Promise<boolean> {
  const row = await db.deleteFrom('customers').where('slug', '=', slug).returning('id').executeTakeFirst();
  return row !== undefined;
}
