import type { Readable } from 'node:stream';
import type { Config } from '../config/config-schema.js';
import { ConfigError } from '../config/load-config.js';
import { listRecipientCustomers } from '../db/customers-repository.js';
import { embeddedDatabaseUrl } from '../db/embedded-database-url.js';
import { findPendingMigrations } from '../db/find-pending-migrations.js';
import { openDatabase, type DatabaseHandle } from '../db/open-database.js';
import { Logging, type Logger } from '../logging/logging.js';
import { ModuleRegistry, builtInModules } from '../modules/registry.js';
import type { AnyIngestModule } from '../modules/types.js';
import { acceptArrival, type AcceptResult } from '../pipeline/accept.js';
import { IngestError, toIngestError } from '../core/ingest-error.js';
import type { SenderAuthRequirement } from '../core/sender-auth-requirement.js';
import type { RecipientCustomer } from '../routing/route-recipient.js';
import { acceptMail } from '../pipeline/mail/accept-mail.js';
import { ensureFreeSpace, roomForMessage } from '../pipeline/mail/ensure-free-space.js';
import type { PipelineDeps } from '../pipeline/pipeline-deps.js';
import { settleNodeName } from '../config/node-identity.js';
import { mailhandlerOutcomeForError, mailhandlerOutcomeForResults, type MailhandlerOutcome } from './mailhandler-outcome.js';
import { parseMailhandlerArgs, type MailhandlerArgs } from './parse-mailhandler-args.js';
import { routePipedRecipients } from './route-piped-recipients.js';

/** One message at a time: a connection for the pipeline and one spare. */
const MAILHANDLER_POOL_SIZE = 2;

export interface RunMailhandlerArgs {
  /** The arguments after `mailhandler`. */
  readonly argv: readonly string[];
  /** Loads and validates the configuration; a ConfigError defers the message. */
  loadConfig(): Config;
  /** The message, as pipe(8) writes it to standard input. */
  readonly message: Readable | AsyncIterable<Uint8Array>;
  /** The built-in modules by default (they classify the message). */
  readonly modules?: readonly AnyIngestModule[];
}

export interface MailhandlerRun extends MailhandlerOutcome {
  /** One per customer, when the message was accepted. */
  readonly results: readonly AcceptResult[];
}

/**
 * `dataprocessor mailhandler`: one message from Postfix pipe(8), through the same acceptance as
 * the SMTP listener (routing and sender allow-lists, size cap, durable staging, one job per
 * customer), then exit. Nothing else runs here (no listeners, workers or recovery): a running
 * `dataprocessor serve` on the same data root and database picks the job up.
 *
 * Never throws: every failure becomes a sysexits status and one line (mailhandlerOutcomeForError).
 */
export async function runMailhandler(args: RunMailhandlerArgs): Promise<MailhandlerRun> {
  const receivedAt = new Date();
  const started = performance.now();
  let logging: Logging | undefined;
  let logger: Logger | undefined;
  let database: DatabaseHandle | undefined;
  let envelope: MailhandlerArgs | undefined;
  try {
    envelope = parseMailhandlerArgs(args.argv);
    const loaded = loadConfigForMailhandler(args.loadConfig);
    // The name `serve` uses on this data root, so that its worker runs the jobs staged here.
    const config = await settleNodeName(loaded);
    logging = new Logging({ logDir: config.logDir, level: config.logLevel, console: false, rotation: config.logRotation });
    logger = logging.for('mailhandler');
    const url = config.database.url ?? (await embeddedDatabaseUrl({ dataRoot: config.dataRoot, port: config.database.embeddedPort }));
    database = await openDatabase({ url, dataRoot: config.dataRoot, embeddedPort: config.database.embeddedPort, poolSize: MAILHANDLER_POOL_SIZE, logger });
    const results = await deliver({ db: database, config, logger, envelope, receivedAt, message: args.message, modules: args.modules ?? builtInModules });
    logger.info('message accepted', {
      ...envelopeFacts(envelope),
      ms: Math.round(performance.now() - started),
      jobs: results.map((result) => ({ id: result.job.id, customer: result.job.customer, status: result.job.status, duplicate: result.duplicate })),
    });
    return { ...mailhandlerOutcomeForResults(results), results };
  } catch (error) {
    const ingestError = toIngestError(error);
    const outcome = mailhandlerOutcomeForError(ingestError);
    logger?.[ingestError.transient ? 'warn' : 'info']('message refused', {
      ...(envelope === undefined ? {} : envelopeFacts(envelope)),
      ms: Math.round(performance.now() - started),
      code: ingestError.code,
      error: ingestError.message,
      exitCode: outcome.exitCode,
    });
    return { ...outcome, results: [] };
  } finally {
    await database?.close().catch(() => undefined);
    await logging?.close();
  }
}

async function deliver(args: {
  readonly db: DatabaseHandle;
  readonly config: Config;
  readonly logger: Logger;
  readonly envelope: MailhandlerArgs;
  readonly receivedAt: Date;
  readonly message: Readable | AsyncIterable<Uint8Array>;
  readonly modules: readonly AnyIngestModule[];
}): Promise<AcceptResult[]> {
  const { config, envelope } = args;
  const db = args.db.db;
  const pending = await findPendingMigrations(db).catch((error: unknown) => {
    throw toIngestError(error);
  });
  if (pending.length > 0) {
    throw new IngestError(
      'DATABASE_SCHEMA_OUTDATED',
      `the database lacks migrations ${pending.join(', ')}: run "dataprocessor migrate" or start "dataprocessor serve"`,
    );
  }
  const customers = await listRecipientCustomers(db).catch((error: unknown) => {
    throw toIngestError(error);
  });
  const routed = routePipedRecipients({
    sender: envelope.sender,
    recipients: envelope.recipients,
    customers,
    ingestDomains: config.smtp.ingestDomains,
    requireSenderAllowList: config.smtp.requireSenderAllowList,
  });
  const maxBytes = config.smtp.maxMessageBytes;
  await ensureFreeSpace({ dir: config.dataRoot, neededBytes: roomForMessage(maxBytes) });

  const deps: PipelineDeps = { db, config, registry: new ModuleRegistry(args.modules), logger: args.logger };
  return acceptMail({
    accept: (arrival) => acceptArrival(deps, arrival),
    customers: [...routed.keys()],
    message: args.message,
    maxBytes,
    source: 'mailhandler',
    receivedAt: args.receivedAt,
    trustedAuthservIds: config.smtp.trustedAuthservIds,
    requiredSenderAuth: requiredSenderAuth(customers, [...routed.keys()]),
    sourceRefFor: (customer) => ({
      mailFrom: envelope.sender,
      rcptTo: [...(routed.get(customer) ?? [])],
      via: 'postfix pipe',
      ...(envelope.queueId === undefined ? {} : { postfixQueueId: envelope.queueId }),
      ...(envelope.clientAddress === undefined ? {} : { remoteAddress: envelope.clientAddress }),
    }),
  });
}

/** The routed customers' sender requirements. pipe(8) gives no SMTP AUTH to bypass them: Postfix took the mail. */
function requiredSenderAuth(customers: readonly RecipientCustomer[], routed: readonly string[]): Map<string, SenderAuthRequirement> {
  const required = new Map<string, SenderAuthRequirement>();
  for (const customer of customers) {
    if (routed.includes(customer.slug) && customer.requireSenderAuth != null) required.set(customer.slug, customer.requireSenderAuth);
  }
  return required;
}

function loadConfigForMailhandler(load: () => Config): Config {
  try {
    return load();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new IngestError('CONFIG_INVALID', error.message, { cause: error });
  }
}

function envelopeFacts(envelope: MailhandlerArgs): Record<string, unknown> {
  return { sender: envelope.sender, recipients: envelope.recipients, ...(envelope.queueId === undefined ? {} : { queueId: envelope.queueId }) };
}
