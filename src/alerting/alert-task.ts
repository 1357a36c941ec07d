import type { Kysely } from 'kysely';
import type { Config } from '../config/config-schema.js';
import { tryTakeAlertCheckLock } from '../db/alert-checks-repository.js';
import { pruneAlertHistory, type AttemptOutcome } from '../db/alert-deliveries-repository.js';
import type { Database } from '../db/database-schema.js';
import type { Logger } from '../logging/logging.js';
import { AlertDeliverer } from './alert-deliverer.js';
import { AlertRecorder, type WrittenNotification } from './alert-conditions.js';
import { clearRecoveredJobConditions, recordJobEvents } from './check-job-events.js';
import { ServiceHealthChecks, type SqsAlertStats } from './check-service-health.js';

/** A burst of job events (a batch of failures, a spool drain) is evaluated once, this long after the first. */
const WAKE_DEBOUNCE_MS = 100;
/** Settled history is pruned at most this often. */
const PRUNE_INTERVAL_MS = 3_600_000;

export interface AlertTaskDeps {
  readonly db: Kysely<Database>;
  readonly config: Config;
  readonly logger: Logger;
  readonly spoolBacklog: () => number | undefined;
  readonly sqs: () => SqsAlertStats | undefined;
  /** Metrics: notifications written (after their commit) and delivery attempts. */
  readonly observe?: {
    readonly notified?: (notification: WrittenNotification) => void;
    readonly attempted?: (outcome: AttemptOutcome) => void;
  };
}

/**
 * Alerting inside the service (docs/alerts.md): evaluates conditions and delivers notifications.
 *
 * - Event-driven: `wake()` (a job of this instance failed, timed out or arrived unclassified)
 *   evaluates the job events the trigger queued, at once. Jobs ended elsewhere (the sweeper,
 *   another instance, the mailhandler) are found by the next periodic round.
 * - Periodic (`alerts.checkIntervalSeconds`): job events, cleared job conditions, silent sources,
 *   the queue, digests and pruning under an advisory lock (one instance per round); this node's
 *   disk, spool and SQS consumer on every instance.
 * - Delivery: after every round that wrote notifications, and every `alerts.delivery.pollSeconds`
 *   for retries and other instances' notifications.
 */
export class AlertTask {
  readonly #deps: AlertTaskDeps;
  readonly #checks: ServiceHealthChecks;
  readonly #deliverer: AlertDeliverer;
  readonly #timers: NodeJS.Timeout[] = [];
  #wakeTimer: NodeJS.Timeout | undefined;
  /** Evaluations run one at a time, in order. */
  #evaluation: Promise<void> = Promise.resolve();
  #stopped = false;
  #lastPruneAt = 0;

  constructor(deps: AlertTaskDeps) {
    this.#deps = deps;
    const node = deps.config.node.name;
    this.#checks = new ServiceHealthChecks({ config: deps.config, node, spoolBacklog: deps.spoolBacklog, sqs: deps.sqs });
    this.#deliverer = new AlertDeliverer({
      db: deps.db,
      settings: deps.config.alerts,
      logger: deps.logger,
      ...(deps.observe?.attempted === undefined ? {} : { observe: deps.observe.attempted }),
    });
  }

  start(): void {
    const { checkIntervalSeconds, delivery } = this.#deps.config.alerts;
    this.#timers.push(setInterval(() => void this.checkNow(), checkIntervalSeconds * 1000));
    this.#timers.push(setInterval(() => void this.#deliverer.deliverDue(), delivery.pollSeconds * 1000));
    void this.checkNow();
  }

  /** Something alert-worthy happened here: evaluate the queued job events soon. */
  wake(): void {
    if (this.#stopped || this.#wakeTimer !== undefined) return;
    this.#wakeTimer = setTimeout(() => {
      this.#wakeTimer = undefined;
      void this.#enqueue('job events', (recorder) => recordJobEvents(recorder).then(() => undefined));
    }, WAKE_DEBOUNCE_MS);
  }

  /** One full round now (also what the timer runs); resolves when its notifications are committed. */
  checkNow(): Promise<void> {
    return this.#enqueue('shared checks', async (recorder) => {
      if (!(await tryTakeAlertCheckLock(recorder.trx))) return;
      const { digestMinutes, keepDays } = this.#deps.config.alerts;
      await recordJobEvents(recorder);
      await clearRecoveredJobConditions(recorder);
      await this.#checks.checkShared(recorder);
      await recorder.sendDueDigests(digestMinutes);
      if (Date.now() - this.#lastPruneAt >= PRUNE_INTERVAL_MS) {
        this.#lastPruneAt = Date.now();
        await pruneAlertHistory(recorder.trx, keepDays);
      }
    }).then(() => this.#enqueue('node checks', (recorder) => this.#checks.checkNode(recorder)));
  }

  /** Sends what is due now (tests, and the timer). */
  deliverNow(): Promise<void> {
    return this.#deliverer.deliverDue();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    for (const timer of this.#timers) clearInterval(timer);
    clearTimeout(this.#wakeTimer);
    await this.#evaluation;
    await this.#deliverer.stop();
  }

  /** Runs `work` in one transaction after the evaluations before it; reports and delivers what it wrote once committed. */
  #enqueue(what: string, work: (recorder: AlertRecorder) => Promise<void>): Promise<void> {
    const { db, config, logger, observe } = this.#deps;
    this.#evaluation = this.#evaluation.then(async () => {
      if (this.#stopped) return;
      try {
        const written = await db.transaction().execute(async (trx) => {
          const recorder = new AlertRecorder(trx, config.node.name);
          await work(recorder);
          return recorder.written;
        });
        for (const notification of written) {
          observe?.notified?.(notification);
          logger.info(`alert ${notification.state}: ${notification.kind}`, { ...notification });
        }
        if (written.some((notification) => notification.deliveries > 0)) void this.#deliverer.deliverDue();
      } catch (error) {
        logger.warn(`alert evaluation (${what}) failed; the next round retries`, { error: String(error) });
      }
    });
    return this.#evaluation;
  }
}
