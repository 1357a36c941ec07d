import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from './config/load-config.js';
import type { Config } from './config/config-schema.js';
import { createApiKey, listApiKeys, revokeApiKey } from './db/api-keys-repository.js';
import { addCustomer, findCustomerBySlug, listCustomers, updateCustomer } from './db/customers-repository.js';
import { FINAL_JOB_STATUSES } from './db/database-schema.js';
import { findJob, listJobEvents } from './db/jobs-repository.js';
import { migrateToLatest } from './db/migrate-to-latest.js';
import { openDatabase } from './db/open-database.js';
import { jobDetailView } from './http/jobs/job-view.js';
import { Logging } from './logging/logging.js';
import { writeMailFiles } from './pipeline/mail/write-mail-files.js';
import { sanitizeSegment } from './pipeline/paths.js';
import { customerLifecycleCommand, holdCommand } from './cli/lifecycle-commands.js';
import { UsageError } from './cli/usage-error.js';

const USAGE = `usage: dataprocessor <command> [options]

commands:
  serve                                   run the service (HTTP API, workers, ingest listeners)
  migrate                                 apply database migrations and exit
  customer add <slug> [--name N] [--address ADDR]... [--allow-sender PATTERN]...
  customer update <slug> [--name N] [--address ADDR]... [--allow-sender PATTERN]... [--s3-prefix P]...
                                          lists given replace the stored ones
  customer list
  customer disable <slug> | customer enable <slug>   refuse (keep data) or accept its arrivals and keys again
  customer purge <slug> [--confirm TOKEN]  without --confirm a dry run (counts, token); with it, remove the
                                          disabled customer's files, jobs, keys and module rows for good
  hold [--customer S] [--category C] [--type T] [--group G] [--reason R]   stage matching arrivals, run none
  hold list | release <id>                release: the held jobs run, in arrival order
  apikey create [--customer SLUG] [--label L]   admin key when no customer is given
  apikey list [--customer SLUG]
  apikey revoke <id>
  ingest <file> --customer SLUG [--type CATEGORY/TYPE] [--group G] [--wait]
  mailhandler --sender S --recipient R [--recipient R]...   accept one message from stdin (Postfix pipe(8));
                                          exit 0 stored, 75 try later, 67 unknown user, 77 denied, 65 too large
  purge [--dry-run] [--json]              apply the retention windows now (one runner at a time across instances);
                                          --dry-run lists what would go, per customer and kind, with bytes

configuration: config/default.json, then the file named by DP_CONFIG, then the environment
(DATABASE_URL, DP_DATA_ROOT, DP_LOG_DIR, DP_HTTP_PORT, DP_SMTP_PORT, DP_ADMIN_API_KEY, ...).`;

/** Exit code for a failure that a retry may fix (sysexits EX_TEMPFAIL, what Postfix pipe(8) expects). */
const EXIT_TEMPFAIL = 75;

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return command === undefined ? 64 : 0;
  }
  // `<command> … --help` anywhere prints the usage and does nothing else: no configuration read,
  // no database opened, no hold placed or released (a help flag must never act).
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  // Before loadConfig: a configuration problem must defer a piped message (75), never bounce it.
  if (command === 'mailhandler') return mailhandlerCommand(rest);
  const config = loadConfig();
  switch (command) {
    case 'serve':
      return serve(config);
    case 'migrate':
      return withDatabase(config, async (db) => {
        const applied = await migrateToLatest(db);
        process.stdout.write(applied.length === 0 ? 'database is up to date\n' : `applied: ${applied.join(', ')}\n`);
        return 0;
      });
    case 'customer':
      return customerCommand(config, rest);
    case 'hold':
    case 'release':
      return holdCommand(command, rest, (run) => withDatabase(config, run));
    case 'apikey':
      return apikeyCommand(config, rest);
    case 'ingest':
      return ingestCommand(config, rest);
    case 'purge':
      return purgeCommand(config, rest);
    default:
      process.stderr.write(`unknown command "${command}"\n${USAGE}\n`);
      return 64;
  }
}

async function serve(config: Config): Promise<number> {
  const { startService } = await import('./main.js');
  const service = await startService({ config });
  process.stdout.write(`DataProcessor listening: HTTP ${service.httpUrl} (API under ${service.httpUrl}/api/1.0, health ${service.httpUrl}/healthz)\n`);
  const smtp = service.smtpAddress;
  process.stdout.write(
    smtp === null
      ? 'SMTP: disabled (smtp.enabled is false)\n'
      : `SMTP: listening on ${smtp.host.includes(':') ? `[${smtp.host}]` : smtp.host}:${smtp.port} (ingest domains: ${config.smtp.ingestDomains.join(', ') || 'none'})\n`,
  );
  process.stdout.write(`data root ${config.dataRoot}, logs ${config.logDir}, database ${service.database.embedded ? 'embedded PostgreSQL' : 'DATABASE_URL'}\n`);
  if (service.generatedAdminKey !== null) {
    process.stdout.write(
      `\nFirst start: an admin API key was generated. It is shown only this once; only its hash is stored:\n  X-Api-Key: ${service.generatedAdminKey}\n\n`,
    );
  }
  await new Promise<void>((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      process.stdout.write(`${signal} received: stopping (grace ${config.shutdown.graceSeconds} s)\n`);
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      resolve();
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
  await service.stop();
  return 0;
}

async function withDatabase<T>(config: Config, run: (db: Awaited<ReturnType<typeof openDatabase>>['db']) => Promise<T>): Promise<T> {
  const logging = new Logging({ logDir: config.logDir, level: 'warn', console: false });
  const handle = await openDatabase({
    url: config.database.url,
    dataRoot: config.dataRoot,
    embeddedPort: config.database.embeddedPort,
    poolSize: 2,
    logger: logging.for('cli'),
  });
  try {
    await migrateToLatest(handle.db);
    return await run(handle.db);
  } finally {
    await handle.close();
    await logging.close();
  }
}

async function customerCommand(config: Config, args: readonly string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === 'list') {
    return withDatabase(config, async (db) => {
      for (const customer of await listCustomers(db)) {
        process.stdout.write(
          `${JSON.stringify({ slug: customer.slug, name: customer.name, ingestAddresses: customer.ingest_addresses, allowedSenders: customer.allowed_senders })}\n`,
        );
      }
      return 0;
    });
  }
  if (sub === 'update') return customerUpdateCommand(config, rest);
  if (sub === 'disable' || sub === 'enable' || sub === 'purge') return customerLifecycleCommand(sub, rest, (run) => withDatabase(config, run), config.dataRoot);
  if (sub !== 'add') throw new UsageError('customer needs "add", "update", "list", "disable", "enable" or "purge"');
  const { values, positionals } = parseArgs({
    args: [...rest],
    allowPositionals: true,
    options: {
      name: { type: 'string' },
      address: { type: 'string', multiple: true },
      'allow-sender': { type: 'string', multiple: true },
    },
  });
  const slug = positionals[0];
  if (slug === undefined || !/^[a-z0-9][a-z0-9_-]{0,62}$/.test(slug))
    throw new UsageError('customer add needs a slug of lower-case letters, digits, _ and - (at most 63)');
  return withDatabase(config, async (db) => {
    const customer = await addCustomer(
      db,
      { slug, name: values.name ?? slug, ingestAddresses: values.address ?? [], allowedSenders: values['allow-sender'] ?? [] },
      { ingestDomains: config.smtp.ingestDomains },
    );
    process.stdout.write(`${JSON.stringify({ slug: customer.slug, name: customer.name })}\n`);
    return 0;
  });
}

async function customerUpdateCommand(config: Config, args: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...args],
    allowPositionals: true,
    options: {
      name: { type: 'string' },
      address: { type: 'string', multiple: true },
      'allow-sender': { type: 'string', multiple: true },
      's3-prefix': { type: 'string', multiple: true },
    },
  });
  const slug = positionals[0];
  if (slug === undefined) throw new UsageError('customer update needs the slug');
  return withDatabase(config, async (db) => {
    const customer = await updateCustomer(
      db,
      slug,
      { name: values.name, ingestAddresses: values.address, allowedSenders: values['allow-sender'], s3Prefixes: values['s3-prefix'] },
      { ingestDomains: config.smtp.ingestDomains },
    );
    if (customer === undefined) throw new UsageError(`no customer "${slug}"`);
    process.stdout.write(
      `${JSON.stringify({ slug: customer.slug, name: customer.name, ingestAddresses: customer.ingest_addresses, allowedSenders: customer.allowed_senders, s3Prefixes: customer.s3_prefixes })}\n`,
    );
    return 0;
  });
}

async function apikeyCommand(config: Config, args: readonly string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === 'revoke') {
    const id = rest[0];
    if (id === undefined) throw new UsageError('apikey revoke needs the key id (see apikey list)');
    return withDatabase(config, async (db) => {
      if (!(await revokeApiKey(db, id))) throw new UsageError(`no active key with id ${id}`);
      process.stdout.write(`revoked key ${id}\n`);
      return 0;
    });
  }
  if (sub === 'list') {
    const { values } = parseArgs({ args: [...rest], options: { customer: { type: 'string' } } });
    return withDatabase(config, async (db) => {
      const customer = values.customer === undefined ? undefined : await findCustomerBySlug(db, values.customer);
      if (values.customer !== undefined && customer === undefined) throw new UsageError(`no customer "${values.customer}"`);
      for (const key of await listApiKeys(db, customer === undefined ? {} : { customerId: customer.id })) {
        process.stdout.write(
          `${JSON.stringify({ id: key.id, role: key.role, customer: key.customer, label: key.label, createdAt: key.createdAt.toISOString() })}\n`,
        );
      }
      return 0;
    });
  }
  if (sub !== 'create') throw new UsageError('apikey needs "create", "list" or "revoke"');
  const { values } = parseArgs({ args: [...rest], options: { customer: { type: 'string' }, label: { type: 'string' } } });
  return withDatabase(config, async (db) => {
    let customerId: string | null = null;
    if (values.customer !== undefined) {
      const customer = await findCustomerBySlug(db, values.customer);
      if (customer === undefined) throw new UsageError(`no customer "${values.customer}"`);
      customerId = customer.id;
    }
    const { key } = await createApiKey(db, { customerId, label: values.label ?? '' });
    process.stdout.write(`${key}\n`);
    process.stderr.write('store this key now: it is not shown again (only its hash is kept)\n');
    return 0;
  });
}

async function ingestCommand(config: Config, args: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...args],
    allowPositionals: true,
    options: {
      customer: { type: 'string' },
      type: { type: 'string' },
      group: { type: 'string' },
      wait: { type: 'boolean', default: false },
    },
  });
  const file = positionals[0];
  if (file === undefined || values.customer === undefined) throw new UsageError('ingest needs <file> and --customer SLUG');
  const info = await stat(file).catch(() => undefined);
  if (info === undefined || !info.isFile()) throw new UsageError(`${file} is not a readable file`);
  // Only `--wait` runs a worker here; otherwise a running service picks the job up.
  const { startService } = await import('./main.js');
  const service = await startService({
    config: {
      ...config,
      http: { ...config.http, port: 0, host: '127.0.0.1' },
      smtp: { ...config.smtp, enabled: false },
      worker: { ...config.worker, enabled: values.wait },
    },
    logToConsole: false,
    housekeeping: false,
  });
  try {
    const { job, duplicate } = await service.accept({
      source: 'cli',
      customer: values.customer,
      ...(values.type === undefined ? {} : { moduleKey: values.type }),
      ...(values.group === undefined ? {} : { group: values.group }),
      sourceRef: { file: path.resolve(file) },
      hints: { fileName: path.basename(file) },
      writeFiles: async (folder) => {
        // A saved mail goes through the same split as SMTP (message.eml, body, attachments, hints),
        // so `ingest report.eml` is classified and parsed exactly like the delivered mail.
        if (/\.eml$/i.test(file)) return writeMailFiles({ folder, source: createReadStream(file), maxBytes: config.smtp.maxMessageBytes });
        await folder.writeFile({
          name: `original-${sanitizeSegment(path.basename(file)).slice(0, 80)}`,
          source: createReadStream(file),
          originalName: path.basename(file),
          role: 'original',
        });
        return undefined;
      },
    });
    if (!values.wait) {
      process.stdout.write(`${JSON.stringify({ id: job.id, status: job.status, duplicate, path: `inbox/${job.relative_path}` })}\n`);
      return 0;
    }
    service.worker?.wake();
    let current = job;
    while (!FINAL_JOB_STATUSES.includes(current.status) && current.status !== 'unclassified' && current.status !== 'held') {
      await new Promise((resolve) => setTimeout(resolve, 200));
      current = (await findJob(service.database.db, job.id)) ?? current;
    }
    process.stdout.write(`${JSON.stringify(jobDetailView(current, await listJobEvents(service.database.db, job.id)), null, 2)}\n`);
    return current.status === 'succeeded' ? 0 : 1;
  } finally {
    await service.stop();
  }
}

/** The retention purge on request: the same task the service schedules (src/lifecycle/purge-task.ts). */
async function purgeCommand(config: Config, args: readonly string[]): Promise<number> {
  const { values } = parseArgs({ args: [...args], options: { 'dry-run': { type: 'boolean', default: false }, json: { type: 'boolean', default: false } } });
  const { PurgeTask } = await import('./lifecycle/purge-task.js');
  const { formatPurgeReport } = await import('./lifecycle/format-purge-report.js');
  const { settleNodeName } = await import('./config/node-identity.js');
  const nodeName = (await settleNodeName(config)).node.name;
  const logging = new Logging({ logDir: config.logDir, level: config.logLevel, console: false });
  try {
    return await withDatabase(config, async (db) => {
      const report = await new PurgeTask({ db, config, nodeName, logger: logging.for('retention') }).run({ trigger: 'manual', dryRun: values['dry-run'] });
      if (report === 'busy') {
        process.stderr.write('another instance is purging now; try again later\n');
        return EXIT_TEMPFAIL;
      }
      process.stdout.write(values.json ? `${JSON.stringify(report)}\n` : formatPurgeReport(report));
      return report.outcome === 'failed' ? 1 : 0;
    });
  } finally {
    await logging.close();
  }
}

/**
 * One message on stdin from Postfix pipe(8). Loaded lazily, like the service itself, so a
 * per-message process reads no HTTP, SMTP or S3 code. The line goes to stdout on success (Postfix
 * logs it) and to stderr on failure (Postfix puts it in the log and the bounce).
 */
async function mailhandlerCommand(args: readonly string[]): Promise<number> {
  const { runMailhandler } = await import('./mailhandler/run-mailhandler.js');
  const outcome = await runMailhandler({ argv: args, loadConfig: () => loadConfig(), message: process.stdin });
  // A refusal leaves stdin unread; an open pipe must not keep the process alive.
  process.stdin.destroy();
  (outcome.exitCode === 0 ? process.stdout : process.stderr).write(`${outcome.line}\n`);
  return outcome.exitCode;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof ConfigError || error instanceof UsageError) {
      process.stderr.write(`dataprocessor: ${error.message}\n`);
      process.exitCode = error instanceof ConfigError ? 78 : 64;
      return;
    }
    const transient = (error as { transient?: boolean }).transient === true;
    process.stderr.write(`dataprocessor: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = transient ? EXIT_TEMPFAIL : 1;
  },
);
