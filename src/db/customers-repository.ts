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
