import type { Readable } from 'node:stream';
import type { AcceptResult, Arrival } from '../accept.js';
import { IngestError } from '../ingest-error.js';
import { copyStagedFiles } from './copy-staged-files.js';
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
  /** The envelope facts kept on each customer's job. */
  sourceRefFor(customer: string): Readonly<Record<string, unknown>>;
}

/**
 * Accepts one received mail for every customer among its recipients. The message is streamed
 * once, into the first customer's folder, and split there; each further customer's folder is a
 * copy of those files, made while the first folder is still private (inside its writeFiles), so
 * nothing depends on a published folder that another node or a retention job might own.
 *
 * Resolves, in customer order, only when every job is committed; rejects with the first
 * failure. Jobs committed before a failure stay (the client retries, and the same bytes give
 * the same jobs back as duplicates), so a retry never loses or doubles a customer's copy.
 */
export async function acceptMail(args: AcceptMailArgs): Promise<AcceptResult[]> {
  const [first, ...others] = args.customers;
  if (first === undefined) throw new IngestError('RECIPIENT_MISSING', 'the message has no recipient', { expose: true });
  const arrivalFor = (customer: string): Pick<Arrival, 'source' | 'customer' | 'receivedAt' | 'sourceRef'> => ({
    source: args.source, customer, receivedAt: args.receivedAt, sourceRef: args.sourceRefFor(customer),
  });
  const copies: AcceptResult[] = [];
  const firstResult = await args.accept({
    ...arrivalFor(first),
    writeFiles: async (folder) => {
      const hints = await writeMailFiles({ folder, source: args.message, maxBytes: args.maxBytes });
      const files = [...folder.files];
      for (const customer of others) {
        copies.push(await args.accept({
          ...arrivalFor(customer),
          hints,
          writeFiles: (copy) => copyStagedFiles({ fromDir: folder.dir, files, to: copy }),
        }));
      }
      return hints;
    },
  });
  return [firstResult, ...copies];
}
