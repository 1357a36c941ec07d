import { Counter, Gauge, type Registry } from 'prom-client';

/** What the SQS consumer counted since start; the counters below read it at scrape time. */
export interface SqsTotals {
  /** The queue's name (the last segment of its URL), the metrics' `queue` label. */
  readonly queue: string;
  readonly received: number;
  readonly deleted: number;
  readonly kept: number;
  readonly receiveErrors: number;
}

/** The spool's own state, read at scrape time (src/pipeline/spool). */
export function registerSpoolMetrics(
  registers: Registry[],
  args: {
    readonly spoolBacklog?: () => number;
    readonly spoolLock?: () => { readonly held: boolean; readonly losses: number; readonly regains: number } | undefined;
  },
): void {
  const { spoolBacklog, spoolLock } = args;
  new Gauge({
    name: 'dataprocessor_spool_backlog',
    help: 'SMTP messages acknowledged from the spool whose job folders are not written yet (should return to 0 within seconds)',
    registers,
    collect() {
      this.set(spoolBacklog?.() ?? 0);
    },
  });
  new Gauge({
    name: 'dataprocessor_spool_lock_held',
    help: "1 while this instance holds its node's spool lock and uses the spool; 0 after a loss until it is taken again and replayed, or without a spool",
    registers,
    collect() {
      this.set(spoolLock?.()?.held === true ? 1 : 0);
    },
  });
  // Counted by the spool itself; read at scrape time like the backlog.
  new Counter({
    name: 'dataprocessor_spool_lock_losses_total',
    help: 'Times the spool lock was lost (its database session ended: a database restart or a cut connection)',
    registers,
    collect() {
      this.reset();
      this.inc(spoolLock?.()?.losses ?? 0);
    },
  });
  new Counter({
    name: 'dataprocessor_spool_lock_regains_total',
    help: 'Times the spool lock was taken again after a loss and the spool, replayed, was in use again',
    registers,
    collect() {
      this.reset();
      this.inc(spoolLock?.()?.regains ?? 0);
    },
  });
}

/** The SQS consumer's totals, read at scrape time; no queue configured, no samples. */
export function registerSqsMetrics(registers: Registry[], sqs: (() => SqsTotals | undefined) | undefined): void {
  // Counted by the consumer (src/s3events/sqs-consumer.ts), read at scrape time like the spool's.
  const sqsCounters: ReadonlyArray<readonly [string, string, (totals: SqsTotals) => number]> = [
    ['dataprocessor_sqs_messages_received_total', 'SQS messages received', (totals) => totals.received],
    ['dataprocessor_sqs_messages_deleted_total', 'SQS messages deleted after their job was committed (or found a duplicate)', (totals) => totals.deleted],
    [
      'dataprocessor_sqs_messages_kept_total',
      'SQS messages left on the queue to come back after the visibility timeout (a transient fault)',
      (totals) => totals.kept,
    ],
    [
      'dataprocessor_sqs_receive_errors_total',
      'Failed SQS receive calls (credentials, network, missing queue), retried with backoff',
      (totals) => totals.receiveErrors,
    ],
  ];
  for (const [name, help, read] of sqsCounters) {
    new Counter({
      name,
      help,
      labelNames: ['queue'],
      registers,
      collect() {
        const totals = sqs?.();
        this.reset();
        if (totals !== undefined) this.inc({ queue: totals.queue }, read(totals));
      },
    });
  }
}
