import type { SMTPServerDataStream, SMTPServerSession } from 'smtp-server';
import type { Config } from '../config/config-schema.js';
import { IngestError, toIngestError } from '../core/ingest-error.js';
import type { SenderAuthRequirement } from '../core/sender-auth-requirement.js';
import type { Logger } from '../logging/logging.js';
import type { AcceptResult } from '../pipeline/accept.js';
import type { ReceivedMail } from '../pipeline/mail/accept-mail.js';
import { DataIdleDeadline, PROGRESS_BYTES } from './data-idle-deadline.js';
import { drainMessage, limitedMessage } from './message-stream.js';
import { smtpErrorFor } from './reply-for-error.js';
import { smtpRefusal } from './smtp-refusal.js';
import type { RefusedArrival } from '../core/refused-arrival.js';
import { acceptedReplyText, connectedFromTrustedRelay, envelopeSourceRef } from './smtp-envelope.js';

/** A recipient accepted at RCPT TO, with the customer it routes to. */
export interface RoutedRecipient {
  readonly address: string;
  readonly customer: string;
  /** The verdict that customer's mail must carry, checked by the pipeline after DATA; null = none. */
  readonly requireSenderAuth?: SenderAuthRequirement | null;
}

export interface DeliverMessageArgs {
  readonly stream: SMTPServerDataStream;
  readonly session: SMTPServerSession;
  /** The recipients accepted at RCPT TO. */
  readonly recipients: readonly RoutedRecipient[];
  readonly smtp: Config['smtp'];
  /** The pipeline's entry for a received mail. */
  readonly acceptMail: (mail: ReceivedMail) => Promise<AcceptResult[]>;
  readonly logger: Logger;
  /** Counts the reply code sent (for /metrics). */
  readonly replied: (code: number) => void;
  /** Records a refused message (refused_arrivals). */
  readonly refused?: (refusal: RefusedArrival) => void;
  /** Ends this session with a 421 (the client stopped sending mid-DATA). */
  readonly closeSession: (why: string, text: (name: string) => string) => void;
}

/**
 * DATA of one message: hands the stream to the pipeline and answers 250 only once every
 * customer's job is committed; any error becomes its mapped reply after the rest of the message
 * is read. Resolves once the reply is given; never rejects.
 */
export function deliverMessage(args: DeliverMessageArgs, callback: (error?: Error | null, message?: string) => void): Promise<void> {
  const { stream, session, smtp, logger } = args;
  // Errors (a client gone mid-DATA) surface through the reader; without a listener smtp-server
  // destroys the stream silently and the reader would see only a premature close.
  stream.on('error', () => undefined);
  const idle = new DataIdleDeadline({
    idleMs: smtp.dataIdleSeconds * 1000,
    onIdle: () => {
      args.closeSession('DATA idle', (name) => `4.4.2 ${name} Timeout waiting for message data, closing connection`);
      // The reader stops at once, so the partial message is removed now, not when the socket closes.
      stream.destroy(new IngestError('DATA_TIMEOUT', `less than ${PROGRESS_BYTES} bytes of message data in ${smtp.dataIdleSeconds} s`));
    },
  });
  const routed = args.recipients;
  const customerSlugs = [...new Set(routed.map((recipient) => recipient.customer))];
  return args
    .acceptMail({
      customers: customerSlugs,
      message: limitedMessage(stream, smtp.maxMessageBytes, idle),
      maxBytes: smtp.maxMessageBytes,
      source: 'smtp',
      receivedAt: new Date(),
      trustedAuthservIds: connectedFromTrustedRelay(session, smtp.trustedRelays) ? smtp.trustedAuthservIds : [],
      requiredSenderAuth: new Map(
        routed.flatMap((recipient) => (recipient.requireSenderAuth == null ? [] : [[recipient.customer, recipient.requireSenderAuth] as const])),
      ),
      sourceRefFor: (customer) =>
        envelopeSourceRef(
          session,
          routed.filter((recipient) => recipient.customer === customer).map((recipient) => recipient.address),
        ),
    })
    .then(
      (results) => {
        logger.info('message accepted', {
          sessionId: session.id,
          remoteAddress: session.remoteAddress,
          bytes: stream.byteLength,
          jobs: results.map((result) => ({ id: result.job.id, customer: result.job.customer, status: result.job.status, duplicate: result.duplicate })),
        });
        args.replied(250);
        callback(null, acceptedReplyText(results));
      },
      async (error: unknown) => {
        const ingestError = toIngestError(error);
        logger[ingestError.transient ? 'warn' : 'info']('message refused', {
          sessionId: session.id,
          remoteAddress: session.remoteAddress,
          bytes: stream.byteLength,
          code: ingestError.code,
          error: ingestError.message,
        });
        await drainMessage(stream, idle);
        const reply = smtpErrorFor(ingestError);
        // After a DATA timeout the 421 was the reply; this one is never sent.
        if (!idle.fired) args.replied(reply.responseCode);
        const customers = [...new Set(routed.map((recipient) => recipient.customer))];
        args.refused?.(
          smtpRefusal({
            session,
            stage: 'DATA',
            error: ingestError,
            reply: idle.fired ? { responseCode: 421, message: '4.4.2 Timeout waiting for message data' } : reply,
            recipients: routed.map((recipient) => recipient.address),
            customer: customers.length === 1 ? (customers[0] ?? null) : null,
            sizeBytes: stream.byteLength,
          }),
        );
        callback(reply);
      },
    )
    .catch((error: unknown) => {
      logger.error('reply to DATA failed', { sessionId: session.id, error: (error as Error).message });
    });
}
