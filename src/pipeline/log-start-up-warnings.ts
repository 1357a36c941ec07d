import type { Kysely } from 'kysely';
import type { Config } from '../config/config-schema.js';
import { listCustomers, listSenderPolicies } from '../db/customers-repository.js';
import type { Database } from '../db/database-schema.js';
import type { Logger } from '../logging/logging.js';
import { describeRouteClash, findRouteClashes } from '../routing/find-route-clashes.js';
import { senderSecurityReport } from '../routing/sender-security-report.js';

/** What an operator should fix, said at every start: routes two customers share, and customers that take mail from anyone. */
export async function logStartUpWarnings(args: { readonly db: Kysely<Database>; readonly config: Config; readonly logger: Logger }): Promise<void> {
  const { db, config, logger } = args;
  // Rows written before routes were unique may still share one: routing refuses those (451), and
  // the operator learns here which customers to fix.
  const routeClashes = findRouteClashes({
    customers: (await listCustomers(db)).map((row) => ({ slug: row.slug, ingestAddresses: row.ingest_addresses, s3Prefixes: row.s3_prefixes })),
    ingestDomains: config.smtp.ingestDomains,
  });
  for (const clash of routeClashes) {
    logger.error(`ambiguous route: ${describeRouteClash(clash)}; nothing is routed by it until an admin gives it to one customer`, {
      kind: clash.kind,
      route: clash.route,
      customers: clash.customers,
    });
  }
  // The seed let anyone send to anyone; say at every start which customers still do (docs/operations.md, "Sender security").
  const { warning, ...senderSecurity } = senderSecurityReport({
    customers: await listSenderPolicies(db),
    requireSenderAllowList: config.smtp.requireSenderAllowList,
    trustedAuthservIds: config.smtp.trustedAuthservIds,
  });
  if (warning !== undefined) logger.warn(`sender security: ${warning}`, senderSecurity);
}
