import type { Readable } from 'node:stream';
import type { AcceptResult, Arrival } from '../accept.js';
import { IngestError } from '../../core/ingest-error.js';
import type { SenderAuthRequirement } from '../../core/sender-auth-requirement.js';
import type { ArrivalSpool } from '../spool/arrival-spool.js';
import { checkSenderAuthentication } from './check-sender-authentication.js';
import { copyStagedFiles } from './copy-staged-files.js';
import { peekHeaderBlock } from './peek-header-block.js';
import { readSenderAuthentication } from './read-sender-authentication.js';
import { readUpTo } from './read-up-to.js';
import { writeMailFiles } from './write-mail-files.js';

export interface AcceptMailArgs {
  /** The pipeline's single entry (acceptArrival bound to its deps). */
  readonly accept: (arrival: Arrival) => Promise<AcceptResult>;
  /** Distinct customer slugs, in recipient order; one job each. */
  readonly customers: readonly string[];
  /** The raw message; read once. */
  readonly message: Readable | AsyncIterable<Uint8Array>;
  readonly maxBytes: number;
  readonly source: 'smtp' | 'mailhandler';
  readonly receivedAt: Date;
  /**
   * The pipeline's spool, if it has one: a message no larger than it takes is read into memory
   * first and offered to it (group commit; see pipeline/spool). Without one, always streamed
   * into a folder.
   */
  readonly spool?: Pick<ArrivalSpool, 'maxArrivalBytes'>;
  /** The envelope facts kept on each customer's job. */
  sourceRefFor(customer: string): Readonly<Record<string, unknown>>;
  /** `smtp.trustedAuthservIds`: whose Authentication-Results headers count (none when absent). */
  readonly trustedAuthservIds?: readonly string[];
  /** What a customer requires of the sender (see SenderAuthRequirement); a customer not listed requires nothing. */
  readonly requiredSenderAuth?: ReadonlyMap<string, SenderAuthRequirement>;
}

/** A mail as a transport hands it over: the pipeline adds its entry and its spool. */
export type ReceivedMail = Omit<AcceptMailArgs, 'accept' | 'spool'>;

/**
 * Accepts one received mail for every customer among its recipients.
 *
 * Its header block is read first: the Authentication-Results verdicts are recorded on every job
 * (`sourceRef.authentication`, see readSenderAuthentication), and a customer's required verdict
 * is checked before anything is written, so a refusal never follows a committed job.
 *
 * A small message (most alerts and reports) is read whole into memory and handed to each
 * customer's arrival as bytes, so the pipeline may spool it. A larger one is streamed once, into
 * the first customer's folder, and split there; each further customer's folder is a copy of
 * those files, made while the first folder is still private (inside its writeFiles), so nothing
 * depends on a published folder that another node or a retention job might own.
 *
 * Resolves, in customer order, only when every job is committed; rejects with the first
 * failure. Jobs committed before a failure stay (the client retries, and the same bytes give
 * the same jobs back as duplicates), so a retry never loses or doubles a customer's copy.
 */
export async function acceptMail(args: AcceptMailArgs): Promise<AcceptResult[]> {
  const [first, ...others] = args.customers;
  if (first === undefined) throw new IngestError('RECIPIENT_MISSING', 'the message has no recipient');
  const peeked = await peekHeaderBlock(args.message);
  const authentication = readSenderAuthentication({ headerBlock: peeked.headerBlock, trustedAuthservIds: args.trustedAuthservIds ?? [] });
  try {
    checkSenderAuthentication({ customers: args.customers, required: args.requiredSenderAuth ?? new Map(), authentication });
  } catch (error) {
    await peeked.close();
    throw error;
  }
  const arrivalFor = (customer: string): Pick<Arrival, 'source' | 'customer' | 'receivedAt' | 'sourceRef'> => ({
    source: args.source,
    customer,
    receivedAt: args.receivedAt,
    sourceRef: authentication === undefined ? args.sourceRefFor(customer) : { ...args.sourceRefFor(customer), authentication },
  });

  const read = await readUpTo(peeked.message, args.spool?.maxArrivalBytes ?? 0);
  if (read.whole !== undefined) {
    const whole = read.whole;
    const results: AcceptResult[] = [];
    for (const customer of args.customers) {
      results.push(
        await args.accept({
          ...arrivalFor(customer),
          spoolable: true,
          writeFiles: (folder) => writeMailFiles({ folder, source: whole, maxBytes: args.maxBytes }),
        }),
      );
    }
    return results;
  }

  const copies: AcceptResult[] = [];
  const firstResult = await args.accept({
    ...arrivalFor(first),
    writeFiles: async (folder) => {
      const hints = await writeMailFiles({ folder, source: read.rest, maxBytes: args.maxBytes });
      for (const customer of others) {
        copies.push(
          await args.accept({
            ...arrivalFor(customer),
            hints,
            writeFiles: (copy) => copyStagedFiles({ from: folder, to: copy }),
          }),
        );
      }
      return hints;
    },
  });
  return [firstResult, ...copies];
}
