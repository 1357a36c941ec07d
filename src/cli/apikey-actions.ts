import { loadConfig } from '../config/load-config.js';
import { createApiKey, listApiKeys, revokeApiKey } from '../db/api-keys-repository.js';
import { findCustomerBySlug } from '../db/customers-repository.js';
import { EXIT_OK } from './exit-codes.js';
import { UsageError } from './usage-error.js';
import { withDatabase } from './with-database.js';

export async function runApikeyCreate(options: { customer?: string; label?: string }): Promise<number> {
  return withDatabase(loadConfig(), async (db) => {
    let customerId: string | null = null;
    if (options.customer !== undefined) {
      const customer = await findCustomerBySlug(db, options.customer);
      if (customer === undefined) throw new UsageError(`no customer "${options.customer}"`);
      customerId = customer.id;
    }
    const { key } = await createApiKey(db, { customerId, label: options.label ?? '' });
    process.stdout.write(`${key}\n`);
    process.stderr.write('store this key now: it is not shown again (only its hash is kept)\n');
    return EXIT_OK;
  });
}

export async function runApikeyList(options: { customer?: string }): Promise<number> {
  return withDatabase(loadConfig(), async (db) => {
    const customer = options.customer === undefined ? undefined : await findCustomerBySlug(db, options.customer);
    if (options.customer !== undefined && customer === undefined) throw new UsageError(`no customer "${options.customer}"`);
    for (const key of await listApiKeys(db, customer === undefined ? {} : { customerId: customer.id })) {
      process.stdout.write(
        `${JSON.stringify({ id: key.id, role: key.role, customer: key.customer, label: key.label, createdAt: key.createdAt.toISOString() })}\n`,
      );
    }
    return EXIT_OK;
  });
}

export async function runApikeyRevoke(id: string): Promise<number> {
  return withDatabase(loadConfig(), async (db) => {
    if (!(await revokeApiKey(db, id))) throw new UsageError(`no active key with id ${id}`);
    process.stdout.write(`revoked key ${id}\n`);
    return EXIT_OK;
  });
}
