/**
 * An arrival that never became a job: an SMTP refusal (at connection, MAIL FROM, RCPT TO or
 * after DATA), a mailhandler refusal, or an S3 event that could not be routed. Recorded so an
 * operator can answer "why didn't grid X's mail arrive?" (GET /api/1.0/refused).
 */
export interface RefusedArrival {
  readonly source: 'smtp' | 'mailhandler' | 's3' | 'webhook';
  /** Where in the exchange: 'connection', 'MAIL FROM', 'RCPT TO', 'DATA', or 'event' for S3. */
  readonly stage: string;
  /** The error code (docs/errors.md). */
  readonly code: string;
  readonly message: string;
  /** The reply or outcome given: `550 5.1.1 …`, an exit status, or 'kept'/'deleted' for S3. */
  readonly reply: string;
  /** The customer it was meant for, when routing got that far. */
  readonly customer?: string | null;
  readonly sender?: string | null;
  readonly recipients?: readonly string[];
  readonly sizeBytes?: number | null;
  readonly clientAddress?: string | null;
  readonly clientName?: string | null;
  /** S3: bucket and key; SMTP: the session id. */
  readonly details?: Readonly<Record<string, unknown>>;
}
