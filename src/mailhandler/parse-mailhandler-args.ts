import { IngestError } from '../core/ingest-error.js';

/** The envelope Postfix pipe(8) hands over on the command line. */
export interface MailhandlerArgs {
  /** Envelope sender; null for the null sender (`''` or `<>`, see pipe(8) `null_sender=`). */
  readonly sender: string | null;
  /** Envelope recipients, in order, each at most once (compared case-insensitively). */
  readonly recipients: readonly string[];
  /** Postfix `${queue_id}`, kept on the job to trace it back to the mail log. */
  readonly queueId?: string;
  /** Postfix `${client_address}`: the client that handed the message to Postfix. */
  readonly clientAddress?: string;
}

/** `relay` is bin/dataprocessor.js's (bin/mailhandler-relay.js): here, where it was not used, it is accepted and ignored. */
const VALUE_OPTIONS = ['sender', 'recipient', 'queue-id', 'client-address', 'relay'] as const;
type ValueOption = (typeof VALUE_OPTIONS)[number];

/** RFC 5321's path limit; anything longer is not an address Postfix would have accepted. */
const MAX_ADDRESS_CHARS = 256;

export const MAILHANDLER_USAGE = 'mailhandler --sender S --recipient R [--recipient R]... [--queue-id Q] [--client-address A] [--relay HOST:PORT] < message';

/**
 * Reads `mailhandler`'s arguments. Unlike node:util parseArgs, an option's value is the next
 * argument taken verbatim: pipe(8) passes the null sender as an empty argument, and an envelope
 * address may begin with `-`. `--name=value` works too. Bare arguments, and everything after
 * `--`, are further recipients: pipe(8) expands one `${recipient}` argument into one argument per
 * recipient when a delivery has several.
 *
 * Throws `MAILHANDLER_USAGE`, transient: a wrong master.cf line must defer mail, not bounce it.
 */
export function parseMailhandlerArgs(argv: readonly string[]): MailhandlerArgs {
  const values = new Map<ValueOption, string[]>();
  const recipients: string[] = [];
  for (let index = 0; index < argv.length; index += 1) {
    const arg = argv[index] ?? '';
    if (arg === '--') {
      recipients.push(...argv.slice(index + 1));
      break;
    }
    if (!arg.startsWith('--')) {
      recipients.push(arg);
      continue;
    }
    const equals = arg.indexOf('=');
    const name = arg.slice(2, equals < 0 ? undefined : equals);
    if (!isValueOption(name)) throw usageError(`unknown option ${JSON.stringify(arg.slice(0, 40))}`);
    let value: string;
    if (equals >= 0) {
      value = arg.slice(equals + 1);
    } else {
      const next = argv[index + 1];
      if (next === undefined) throw usageError(`--${name} needs a value`);
      value = next;
      index += 1;
    }
    if (value.length > MAX_ADDRESS_CHARS) throw usageError(`--${name} is longer than ${MAX_ADDRESS_CHARS} characters`);
    if (name === 'recipient') recipients.push(value);
    else values.set(name, [...(values.get(name) ?? []), value]);
  }

  const sender = single(values, 'sender', true);
  const distinct = distinctAddresses(recipients);
  if (distinct.length === 0 || distinct.includes('')) throw usageError('every --recipient needs an address, and at least one is required');
  const queueId = single(values, 'queue-id', false);
  const clientAddress = single(values, 'client-address', false);
  return {
    sender: sender === undefined || sender.trim() === '' || sender.trim() === '<>' ? null : sender.trim(),
    recipients: distinct,
    ...(queueId === undefined || queueId === '' ? {} : { queueId }),
    ...(clientAddress === undefined || clientAddress === '' ? {} : { clientAddress }),
  };
}

/** Trimmed, each once (case-insensitively), keeping the first spelling and the order. */
function distinctAddresses(addresses: readonly string[]): string[] {
  const seen = new Set<string>();
  const kept: string[] = [];
  for (const raw of addresses) {
    const address = raw.trim();
    const key = address.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    kept.push(address);
  }
  return kept;
}

function single(values: ReadonlyMap<ValueOption, string[]>, name: ValueOption, required: boolean): string | undefined {
  const given = values.get(name) ?? [];
  if (given.length > 1) throw usageError(`--${name} given ${given.length} times`);
  if (required && given.length === 0) throw usageError(`--${name} is required (use --${name} '' for the null sender)`);
  return given[0];
}

function isValueOption(name: string): name is ValueOption {
  return (VALUE_OPTIONS as readonly string[]).includes(name);
}

function usageError(problem: string): IngestError {
  return new IngestError('MAILHANDLER_USAGE', `${problem}; usage: ${MAILHANDLER_USAGE}`);
}
