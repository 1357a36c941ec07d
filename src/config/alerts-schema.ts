import { z } from 'zod';

const seconds = z.number().positive();
const positiveInt = z.number().int().positive();

/** The SMTP relay alert mails go through (a local Postfix, the company relay); null = no mail. */
const mailRelaySchema = z.strictObject({
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535),
  /** true: TLS from the first byte (port 465); false: plain, upgraded by STARTTLS when the relay offers it. */
  secure: z.boolean(),
  /** Refuse to send when the relay does not offer STARTTLS (ignored with `secure`). */
  requireTls: z.boolean(),
  username: z.string().min(1).nullable(),
  password: z.string().min(1).nullable(),
});

/**
 * `alerts` (docs/alerts.md): conditions found by the service (failed and timed-out jobs,
 * unclassified arrivals, silent sources, low disk, a stuck spool or worker, SQS errors) notified
 * to the subscriptions of the admin API, once per condition until it clears.
 */
export const alertsSchema = z
  .strictObject({
    /** Evaluation and delivery in this instance (every serving instance may run them: they share the work through the database). */
    enabled: z.boolean(),
    /** How often the periodic checks run (silent sources, disk, spool, worker, SQS, cleared conditions, digests). */
    checkIntervalSeconds: seconds.max(3600),
    /** An open condition's further occurrences are sent as one digest at most this often. */
    digestMinutes: seconds.max(7 * 24 * 60),
    /** Notifications, their deliveries and resolved conditions are kept this long, then removed. */
    keepDays: seconds.max(3650),
    thresholds: z.strictObject({
      /** The spool is stuck when acknowledged mail has had no job folder (backlog > 0) at every check for this long. */
      spoolStuckSeconds: seconds,
      /** The workers are stuck when the oldest runnable queued job has waited this long. */
      workerStuckSeconds: seconds,
      /** SQS errors are a condition once this many receive calls in a row failed. */
      sqsConsecutiveErrors: positiveInt.max(1000),
    }),
    delivery: z.strictObject({
      /** One attempt (connect, send, answer) may take this long. */
      timeoutSeconds: seconds.max(300),
      /** Attempts per delivery before it is given up as `failed`. */
      maxAttempts: positiveInt.max(50),
      /** Backoff after a failed attempt: base × 2^(attempt−1), jittered, capped at retryMaxSeconds. */
      retryBaseSeconds: seconds,
      retryMaxSeconds: seconds,
      /** How often due deliveries are looked for (new notifications of this instance are sent at once). */
      pollSeconds: seconds.max(600),
      /** Deliveries attempted at once by this instance. */
      concurrency: positiveInt.max(64),
    }),
    mail: z.strictObject({
      relay: mailRelaySchema.nullable(),
      from: z.string().min(3).max(254),
    }),
  })
  .refine((alerts) => alerts.delivery.retryBaseSeconds <= alerts.delivery.retryMaxSeconds, {
    message: 'delivery.retryBaseSeconds must not exceed delivery.retryMaxSeconds',
    path: ['delivery'],
  });

export type AlertSettings = z.infer<typeof alertsSchema>;
