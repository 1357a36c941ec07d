import type { Server } from 'node:http';
import type { AlertTask } from './alerting/alert-task.js';
import { startAlertTask } from './alerting/start-alert-task.js';
import type { Config } from './config/config-schema.js';
import { listRecipientCustomers } from './db/customers-repository.js';
import { ensureAdminKey } from './db/ensure-admin-key.js';
import { migrateToLatest } from './db/migrate-to-latest.js';
import { openDatabase, type DatabaseHandle } from './db/open-database.js';
import { countActiveJobs } from './db/job-summary-repository.js';
import { createApp } from './http/create-app.js';
import { closeHttpServer, httpUrlOf, listenHttp } from './http/listen-http.js';
import { Logging } from './logging/logging.js';
import { resolveConsoleFormat } from './logging/console-format.js';
import { countSilentSources } from './db/sources-repository.js';
import { countOpenConditions } from './db/alert-conditions-repository.js';
import { createMetrics, type Metrics } from './metrics/metrics.js';
import { purgeMetricsObserver } from './lifecycle/purge-metrics.js';
import { PurgeTask } from './lifecycle/purge-task.js';
import type { ArchiveUploadTask } from './lifecycle/archive-upload-task.js';
import { startArchiveUploadTask } from './lifecycle/start-archive-upload-task.js';
import { ModuleRegistry, builtInModules } from './modules/registry.js';
import type { AnyIngestModule } from './modules/types.js';
import { acceptArrival, type Arrival } from './pipeline/accept.js';
import { objectArrivals } from './pipeline/arrivals/object-arrivals.js';
import { acceptMail } from './pipeline/mail/accept-mail.js';
import { logStartUpWarnings } from './pipeline/log-start-up-warnings.js';
import { RefusalRecorder } from './pipeline/refusal-recorder.js';
import { stagedFilesOf } from './pipeline/staging/open-staged-file.js';
import type { PipelineDeps } from './pipeline/pipeline-deps.js';
import type { AcceptResult } from './pipeline/staging/record-staged-folder.js';
import { recoverAtStartUp } from './pipeline/jobs/recover-at-start-up.js';
import { openNodeSpool } from './pipeline/spool/open-node-spool.js';
import type { Spool } from './pipeline/spool/spool.js';
import { settleNodeName } from './config/node-identity.js';
import { Sweeper } from './pipeline/jobs/sweeper.js';
import { Worker } from './pipeline/jobs/worker.js';
import { sqsNotificationHandler } from './s3events/handle-notification.js';
import type { Reconciler } from './s3events/reconcile.js';
import { createSqsClient, lazyS3Client } from './s3events/s3-client.js';
import type { SqsConsumer } from './s3events/sqs-consumer.js';
import type { ObjectJobDeps } from './s3events/start-object-job.js';
import { createSmtpListener, type SmtpListener } from './smtp/smtp-server.js';

export interface StartOptions {
  readonly config: Config;
  /** Modules to run; the built-in list by default (tests add their own). */
  readonly modules?: readonly AnyIngestModule[];
  /** Tests keep the runner's output clean. */
  readonly logToConsole?: boolean;
  /**
   * Recovery, the sweeper and the tmp janitor (default on). One-shot CLI commands that run next
   * to a serving instance turn them off: that instance does the housekeeping.
   */
  readonly housekeeping?: boolean;
}

export interface RunningService {
  readonly config: Config;
  readonly database: DatabaseHandle;
  readonly httpUrl: string | null;
  /** Group commit of small SMTP messages; null when off (or another instance holds this node's spool). */
  readonly spool: Spool | null;
  /** Where the SMTP listener is bound; null when `smtp.enabled` is false. */
  readonly smtpAddress: { readonly host: string; readonly port: number } | null;
  /** Printed once when the first admin key was generated at this start. */
  readonly generatedAdminKey: string | null;
  /** This process's Prometheus metrics (also served at GET /metrics). */
  readonly metrics: Metrics;
  /** The REST app as served (tests compare its routes with the OpenAPI document). */
  readonly httpApp: ReturnType<typeof createApp>;
  accept(arrival: Arrival): Promise<AcceptResult>;
  readonly worker: Worker | null;
  readonly sweeper: Sweeper | null;
  /** Retention and the free space checks; null in one-shot commands (housekeeping off). */
  readonly purge: PurgeTask | null;
  /** Moves archive copies to the bucket tier; null unless `archive.s3` is set (and housekeeping is on). */
  readonly archiveUploads: ArchiveUploadTask | null;
  /** Alert evaluation and delivery; null when `alerts.enabled` is false or housekeeping is off. */
  readonly alerts: AlertTask | null;
  stop(): Promise<void>;
}

/**
 * The composition root: config → database → pipeline → transports, and the reverse on stop.
 * Nothing else in the code base wires components together.
 */
export async function startService(options: StartOptions): Promise<RunningService> {
  const config = await settleNodeName(options.config);
  const housekeeping = options.housekeeping ?? true;
  const logging = new Logging({
    logDir: config.logDir,
    level: config.logLevel,
    console: options.logToConsole ?? true,
    consoleFormat: resolveConsoleFormat(config.logFormat),
    rotation: config.logRotation,
  });
  const logger = logging.for('main');
  const registry = new ModuleRegistry(options.modules ?? builtInModules);
  const database = await openDatabase({
    url: config.database.url,
    dataRoot: config.dataRoot,
    embeddedPort: config.database.embeddedPort,
    poolSize: config.database.poolSize,
    logger: logging.for('database'),
  });
  let httpServer: Server | undefined;
  let smtpListener: SmtpListener | undefined;
  let worker: Worker | null = null;
  let sweeper: Sweeper | undefined;
  let purge: PurgeTask | undefined;
  let archiveUploads: ArchiveUploadTask | undefined;
  let alerts: AlertTask | undefined;
  // The AWS SDK loads only for what is configured: S3 on first use, SQS and the reconciler below.
  const s3 = lazyS3Client(config.s3);
  let sqsClient: Awaited<ReturnType<typeof createSqsClient>> | undefined;
  let sqsConsumer: SqsConsumer | undefined;
  let sqsQueueName = '';
  let reconciler: Reconciler | undefined;
  let spool: Spool | undefined;
  let refusals: RefusalRecorder | undefined;
  const stopAll = async (): Promise<void> => {
    // SMTP first: no new mail is taken while the rest shuts down, and mail in progress finishes.
    await smtpListener?.stop();
    // Then the spool: the last acknowledged messages get their folders (or wait for the next start).
    await spool?.stop(config.shutdown.graceSeconds * 1000);
    // S3 next, before the worker: no new messages; those in progress finish or go back to the queue.
    await sqsConsumer?.stop(config.shutdown.graceSeconds);
    await reconciler?.stop();
    if (httpServer !== undefined) await closeHttpServer(httpServer);
    await sweeper?.stop();
    await purge?.stop();
    await archiveUploads?.stop();
    await alerts?.stop();
    await worker?.stop(config.shutdown.graceSeconds);
    await refusals?.stop();
    await s3.destroy();
    sqsClient?.destroy();
    await database.close();
    logger.info('stopped');
    await logging.close();
  };
  try {
    const applied = await migrateToLatest(database.db);
    if (applied.length > 0) logger.info('migrations applied', { applied });
    const generatedAdminKey = await ensureAdminKey(database.db, config.adminApiKey);
    await logStartUpWarnings({ db: database.db, config, logger });

    const pipelineLogger = logging.for('pipeline');
    const onJobQueued = (): void => worker?.wake();
    const onJobUnclassified = (): void => alerts?.wake();
    spool = await openNodeSpool({ db: database.db, config, registry, logger: logging.for('spool'), onJobQueued, onJobUnclassified }, { housekeeping });
    const deps: PipelineDeps = {
      db: database.db,
      config,
      registry,
      logger: pipelineLogger,
      onJobQueued,
      onJobUnclassified,
      ...(spool === undefined ? {} : { spool }),
    };
    const sqsTotals = () => (sqsConsumer === undefined ? undefined : { queue: sqsQueueName, ...sqsConsumer.stats });
    const metrics = createMetrics({
      countActiveJobs: () => countActiveJobs(database.db),
      countSilentSources: () => countSilentSources(database.db, config.sources.expectedIntervalHours),
      spoolBacklog: () => spool?.backlog() ?? 0,
      spoolLock: () => spool?.lockState(),
      sqs: sqsTotals,
      countOpenAlerts: () => countOpenConditions(database.db),
    });
    const onJobFinished: PipelineDeps['onJobFinished'] = (outcome) => {
      metrics.recordJobFinished(outcome);
      if (outcome.status === 'failed' || outcome.status === 'timed_out') alerts?.wake();
    };
    const workerDeps: PipelineDeps = { ...deps, logger: logging.for('worker'), onJobFinished };
    const accept = async (arrival: Arrival): Promise<AcceptResult> => {
      const result = await acceptArrival(deps, arrival);
      if (!result.duplicate) metrics.recordAccepted({ source: result.job.source, bytes: stagedFilesOf(result.job).reduce((sum, file) => sum + file.size, 0) });
      return result;
    };
    refusals = new RefusalRecorder({
      db: database.db,
      node: config.node.name,
      logger: logging.for('pipeline'),
      keepDays: config.refused.keepDays,
      maxQueued: config.refused.maxQueued,
      observe: { recorded: (refusal) => metrics.refused.inc({ source: refusal.source, code: refusal.code }), dropped: () => metrics.refusedDropped.inc() },
    });
    const recordRefusal = refusals.record.bind(refusals);
    const objectJobs: ObjectJobDeps = {
      refused: recordRefusal,
      s3: s3.get,
      routes: config.s3.routes,
      maxObjectBytes: config.s3.maxObjectBytes,
      logger: logging.for('s3'),
      objects: objectArrivals(deps, accept),
    };
    if (housekeeping) {
      await recoverAtStartUp({ pipeline: deps, worker: workerDeps, logger });
      sweeper = new Sweeper(workerDeps);
      sweeper.start();
      purge = new PurgeTask({ db: database.db, config, nodeName: config.node.name, logger: logging.for('retention'), observer: purgeMetricsObserver(metrics) });
      purge.start();
      archiveUploads = startArchiveUploadTask({ db: database.db, config, logger: logging.for('archive'), metrics });
      refusals.start();
    }
    if (housekeeping && config.alerts.enabled) {
      alerts = startAlertTask({ db: database.db, config, logging, metrics, spoolBacklog: () => spool?.backlog(), sqs: sqsTotals });
    }
    if (config.worker.enabled) {
      worker = new Worker(workerDeps);
      worker.start();
    }
    const app = createApp({
      db: database.db,
      config,
      logger: logging.for('http'),
      accept,
      metrics,
      objectJobs,
      moduleKeys: registry.keys(),
      ...(purge === undefined ? {} : { purge }),
      deliverAlerts: () => void alerts?.deliverNow(),
      listeners: () => [
        { name: 'smtp', up: !config.smtp.enabled || smtpListener?.address() != null },
        ...(config.s3.sqs.queueUrl === null ? [] : [{ name: 'sqs', up: sqsConsumer !== undefined }]),
      ],
    });
    httpServer = await listenHttp(app.callback(), config.http);
    const httpUrl = httpUrlOf(httpServer);
    if (config.smtp.enabled) {
      smtpListener = createSmtpListener({
        config,
        acceptMail: (mail) => acceptMail({ ...mail, accept, ...(spool === undefined ? {} : { spool }) }),
        findCustomers: () => listRecipientCustomers(database.db),
        logger: logging.for('smtp'),
        observe: {
          sessionOpened: () => {
            metrics.smtpSessions.inc();
            metrics.smtpActiveSessions.inc();
          },
          sessionClosed: () => metrics.smtpActiveSessions.dec(),
          replied: (code) => metrics.smtpReplies.inc({ code: String(code) }),
          refused: recordRefusal,
        },
      });
      await smtpListener.start();
    }
    const { sqs: sqsSettings, reconcile } = config.s3;
    if (sqsSettings.queueUrl !== null) {
      const { SqsConsumer, queueNameOf } = await import('./s3events/sqs-consumer.js');
      sqsClient = await createSqsClient(config.s3);
      sqsQueueName = queueNameOf(sqsSettings.queueUrl);
      sqsConsumer = new SqsConsumer({
        sqs: sqsClient,
        queueUrl: sqsSettings.queueUrl,
        waitTimeSeconds: sqsSettings.waitTimeSeconds,
        maxMessages: sqsSettings.maxMessages,
        concurrency: sqsSettings.concurrency,
        visibilityTimeoutSeconds: sqsSettings.visibilityTimeoutSeconds,
        logger: objectJobs.logger,
        handleMessage: sqsNotificationHandler(objectJobs),
      });
      sqsConsumer.start();
    }
    if (reconcile.intervalSeconds !== null) {
      const { Reconciler } = await import('./s3events/reconcile.js');
      reconciler = new Reconciler({ deps: objectJobs, settings: reconcile, intervalSeconds: reconcile.intervalSeconds });
      reconciler.start();
    }
    const smtpAddress = smtpListener?.address() ?? null;
    logger.info('service started', { http: httpUrl, smtp: smtpAddress, modules: registry.keys(), embeddedDatabase: database.embedded, node: config.node.name });

    let stopping: Promise<void> | undefined;
    return {
      config,
      database,
      httpUrl,
      smtpAddress,
      generatedAdminKey,
      metrics,
      httpApp: app,
      worker,
      sweeper: sweeper ?? null,
      purge: purge ?? null,
      archiveUploads: archiveUploads ?? null,
      alerts: alerts ?? null,
      spool: spool ?? null,
      accept,
      stop: () => (stopping ??= stopAll()),
    };
  } catch (error) {
    await stopAll().catch(() => undefined);
    throw error;
  }
}
