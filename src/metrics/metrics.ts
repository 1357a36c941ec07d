import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { registerSpoolMetrics, registerSqsMetrics, type SqsTotals } from './component-metrics.js';

export type { SqsTotals } from './component-metrics.js';

/** Jobs waiting or running, per state and module, as counted in the database at scrape time. */
export interface ActiveJobCount {
  readonly status: string;
  readonly category: string;
  readonly type: string;
  readonly count: number;
}

export interface CreateMetricsArgs {
  /** Reads the active job counts (queued, running, held, unclassified); absent = the gauge stays empty. */
  readonly countActiveJobs?: () => Promise<readonly ActiveJobCount[]>;
  /** Acknowledged messages whose job folders the spool has not written yet. */
  readonly spoolBacklog?: () => number;
  /** The spool's advisory lock: held now, and how often it was lost and taken again (absent: no spool). */
  readonly spoolLock?: () => { readonly held: boolean; readonly losses: number; readonly regains: number } | undefined;
  /** Reads the silent sources per customer and module (absent = the gauge stays empty). */
  readonly countSilentSources?: () => Promise<
    ReadonlyArray<{ readonly customer: string; readonly category: string; readonly type: string; readonly count: number }>
  >;
  /** The SQS consumer's running totals (absent or undefined: no queue configured). */
  readonly sqs?: () => SqsTotals | undefined;
  /** Reads the open alert conditions per kind (absent = the gauge stays empty). */
  readonly countOpenAlerts?: () => Promise<ReadonlyArray<{ readonly kind: string; readonly count: number }>>;
}

/** Scrapes closer together than this reuse the last database counts (several Prometheus servers, a reload loop). */
const MIN_JOB_COUNT_REFRESH_MS = 5_000;
const JOB_DURATION_BUCKETS_SECONDS = [0.1, 0.5, 1, 2, 5, 15, 30, 60, 300, 900, 3600];
const HTTP_DURATION_BUCKETS_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/**
 * Every Prometheus metric of one process, in its own registry (created once in src/main.ts and
 * handed to the components that report). Components call the counters directly:
 *
 *   metrics.smtpSessions.inc(); metrics.smtpActiveSessions.inc() / .dec()
 *   metrics.smtpReplies.inc({ code: '250' })
 *   metrics.recordJobFinished({ category, type, status, durationSeconds })
 *   metrics.recordAccepted({ source, bytes })
 *
 * Event-loop lag, memory, CPU and GC come from prom-client's default collectors.
 */
export interface Metrics {
  readonly registry: Registry;
  readonly smtpSessions: Counter<never>;
  readonly smtpActiveSessions: Gauge<never>;
  readonly smtpReplies: Counter<'code'>;
  readonly bytesIngested: Counter<'source'>;
  readonly jobsFinished: Counter<'category' | 'type' | 'status'>;
  readonly jobDurationSeconds: Histogram<'category' | 'type' | 'status'>;
  readonly httpRequestDurationSeconds: Histogram<'method' | 'route' | 'status'>;
  /** Retention (src/lifecycle): what the purge removed, its runs, and free space per root. */
  readonly purgedItems: Counter<'kind'>;
  readonly purgedBytes: Counter<'kind'>;
  readonly purgeRuns: Counter<'trigger' | 'outcome'>;
  readonly diskFreeBytes: Gauge<'area'>;
  /** The archive's bucket tier (archive.s3): jobs whose copy was uploaded and verified, or not, and the bytes moved. */
  readonly archiveUploads: Counter<'outcome'>;
  readonly archiveUploadedBytes: Counter<never>;
  readonly diskPressure: Gauge<'area'>;
  /** Arrivals refused before they became jobs (refused_arrivals), and those not recorded because the queue was full. */
  readonly refused: Counter<'source' | 'code'>;
  readonly refusedDropped: Counter<never>;
  /** Alerting (src/alerting): notifications written and delivery attempts, by outcome. */
  readonly alertNotifications: Counter<'kind' | 'state'>;
  readonly alertDeliveries: Counter<'outcome'>;
  recordJobFinished(args: { readonly category: string; readonly type: string; readonly status: string; readonly durationSeconds: number }): void;
  recordAccepted(args: { readonly source: string; readonly bytes: number }): void;
  /** The text exposition format and its content type, for GET /metrics. */
  render(): Promise<{ readonly contentType: string; readonly body: string }>;
}

export function createMetrics(args: CreateMetricsArgs = {}): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];

  databaseGauge({
    name: 'dataprocessor_jobs',
    help: 'Jobs currently queued, running, held or unclassified, by status and module (finished jobs: dataprocessor_jobs_finished_total)',
    labelNames: ['status', 'category', 'type'],
    registers,
    read: args.countActiveJobs,
  });
  databaseGauge({
    name: 'dataprocessor_sources_silent',
    help: 'Sources (customer, group, module) quiet for longer than sources.expectedIntervalHours of their module (GET /api/1.0/sources lists them)',
    labelNames: ['customer', 'category', 'type'],
    registers,
    read: args.countSilentSources,
  });
  databaseGauge({
    name: 'dataprocessor_alerts_open',
    help: 'Alert conditions open now (notified, not yet cleared), by kind (GET /api/1.0/alerts/conditions?open=true lists them)',
    labelNames: ['kind'],
    registers,
    read: args.countOpenAlerts,
  });

  registerSpoolMetrics(registers, args);
  registerSqsMetrics(registers, args.sqs);
  const jobsFinished = new Counter({
    name: 'dataprocessor_jobs_finished_total',
    help: 'Jobs that reached a final state in this process, by status and module',
    labelNames: ['category', 'type', 'status'] as const,
    registers,
  });
  const jobDurationSeconds = new Histogram({
    name: 'dataprocessor_job_duration_seconds',
    help: 'Run time of finished jobs (claim to final state)',
    labelNames: ['category', 'type', 'status'] as const,
    buckets: JOB_DURATION_BUCKETS_SECONDS,
    registers,
  });
  const bytesIngested = new Counter({
    name: 'dataprocessor_ingested_bytes_total',
    help: 'Bytes of originals staged by new (non-duplicate) arrivals, by source',
    labelNames: ['source'] as const,
    registers,
  });

  return {
    registry,
    smtpSessions: new Counter({ name: 'dataprocessor_smtp_sessions_total', help: 'SMTP connections accepted', registers }),
    smtpActiveSessions: new Gauge({ name: 'dataprocessor_smtp_sessions_active', help: 'SMTP connections open now', registers }),
    smtpReplies: new Counter({
      name: 'dataprocessor_smtp_replies_total',
      help: 'SMTP replies to DATA and RCPT, by reply code',
      labelNames: ['code'] as const,
      registers,
    }),
    bytesIngested,
    jobsFinished,
    jobDurationSeconds,
    httpRequestDurationSeconds: new Histogram({
      name: 'dataprocessor_http_request_duration_seconds',
      help: 'REST API requests by route template and status',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: HTTP_DURATION_BUCKETS_SECONDS,
      registers,
    }),
    purgedItems: new Counter({
      name: 'dataprocessor_purged_total',
      help: 'Jobs (rows with their files) or job folders removed by retention, by kind (inbox, archive, jobs, failedArrivals, unclassified)',
      labelNames: ['kind'] as const,
      registers,
    }),
    purgedBytes: new Counter({
      name: 'dataprocessor_purged_bytes_total',
      help: 'Bytes of files removed by retention, by kind',
      labelNames: ['kind'] as const,
      registers,
    }),
    purgeRuns: new Counter({
      name: 'dataprocessor_purge_runs_total',
      help: 'Purge runs of this instance (dry runs not counted), by trigger and outcome',
      labelNames: ['trigger', 'outcome'] as const,
      registers,
    }),
    archiveUploads: new Counter({
      name: 'dataprocessor_archive_uploads_total',
      help: 'Archive copies the bucket tier (archive.s3) handled, per job: uploaded (and verified, recorded), verify_failed (read back differently), failed (any other error); the local copy stays unless uploaded',
      labelNames: ['outcome'] as const,
      registers,
    }),
    archiveUploadedBytes: new Counter({
      name: 'dataprocessor_archive_uploaded_bytes_total',
      help: 'Bytes of archive copies uploaded to the bucket tier and verified',
      registers,
    }),
    diskFreeBytes: new Gauge({
      name: 'dataprocessor_disk_free_bytes',
      help: 'Free bytes of the file system holding the data root (area="data") and the archive root (area="archive")',
      labelNames: ['area'] as const,
      registers,
    }),
    diskPressure: new Gauge({
      name: 'dataprocessor_disk_pressure',
      help: '0 ok, 1 below disk.warnFreeBytes (warning), 2 below the refusal threshold (mail refused), per area',
      labelNames: ['area'] as const,
      registers,
    }),
    refused: new Counter({
      name: 'dataprocessor_refused_total',
      help: 'Arrivals refused before they became jobs (SMTP refusals, unroutable S3 events), by source and error code (GET /api/1.0/refused)',
      labelNames: ['source', 'code'] as const,
      registers,
    }),
    refusedDropped: new Counter({
      name: 'dataprocessor_refused_dropped_total',
      help: 'Refusals not recorded in refused_arrivals because its write queue was full (a flood of refused connections)',
      registers,
    }),
    alertNotifications: new Counter({
      name: 'dataprocessor_alert_notifications_total',
      help: 'Alert notifications written by this process, by condition kind and state (opened, digest, resolved; test notifications are not counted)',
      labelNames: ['kind', 'state'] as const,
      registers,
    }),
    alertDeliveries: new Counter({
      name: 'dataprocessor_alert_deliveries_total',
      help: 'Alert delivery attempts of this process, by outcome: delivered, retry (due again after a backoff), failed (given up)',
      labelNames: ['outcome'] as const,
      registers,
    }),
    recordJobFinished({ category, type, status, durationSeconds }) {
      jobsFinished.inc({ category, type, status });
      if (Number.isFinite(durationSeconds) && durationSeconds >= 0) jobDurationSeconds.observe({ category, type, status }, durationSeconds);
    },
    recordAccepted({ source, bytes }) {
      if (bytes > 0) bytesIngested.inc({ source }, bytes);
    },
    async render() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}

type CountRows<L extends string> = ReadonlyArray<Readonly<Record<L, string>> & { readonly count: number }>;

/**
 * A gauge counted in the database at scrape time, at most every MIN_JOB_COUNT_REFRESH_MS (several
 * Prometheus servers, a reload loop); no reader: the gauge stays empty.
 */
function databaseGauge<L extends string>(args: {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly L[];
  readonly registers: Registry[];
  readonly read: (() => Promise<CountRows<L>>) | undefined;
}): void {
  const { read, labelNames } = args;
  let last: CountRows<L> = [];
  let lastAt = 0;
  new Gauge<L>({
    name: args.name,
    help: args.help,
    labelNames,
    registers: args.registers,
    async collect() {
      if (read === undefined) return;
      if (Date.now() - lastAt >= MIN_JOB_COUNT_REFRESH_MS) {
        // A scrape must not fail because the database is slow or down: /readyz reports that.
        last = await read().catch(() => last);
        lastAt = Date.now();
      }
      this.reset();
      for (const row of last) this.set(Object.fromEntries(labelNames.map((label) => [label, String(row[label])])) as Partial<Record<L, string>>, row.count);
    },
  });
}
