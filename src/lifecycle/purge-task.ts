import type { Kysely } from 'kysely';
import type { Config } from '../config/config-schema.js';
import type { Database } from '../db/database-schema.js';
import { insertPurgeRun, listPurgeRuns, updatePurgeRun, type PurgeRunRow, type PurgeTally } from '../db/purge-runs-repository.js';
import { releasePurgeLock, tryTakePurgeLock } from '../db/retention-repository.js';
import type { Logger } from '../logging/logging.js';
import { archiveRootOf } from '../pipeline/paths.js';
import { withArchiveObjects } from './archive-objects.js';
import { measureDiskPressure, type DiskPressure } from './disk-pressure.js';
import { purgeRetention } from './purge-retention.js';
import { PurgeTallies } from './purge-tally.js';

export type PurgeTrigger = PurgeRunRow['trigger'];

export interface PurgeReport {
  readonly runId: string;
  readonly dryRun: boolean;
  readonly trigger: PurgeTrigger;
  readonly outcome: 'done' | 'stopped' | 'failed';
  readonly removed: readonly PurgeTally[];
  readonly totals: { readonly count: number; readonly bytes: number };
  readonly error?: string;
}

/** What the purge reports as it goes (metrics); every member optional. */
export interface PurgeObserver {
  readonly purged?: (tallies: readonly PurgeTally[]) => void;
  readonly runEnded?: (report: PurgeReport) => void;
  readonly diskMeasured?: (area: 'data' | 'archive', pressure: DiskPressure) => void;
}

export interface PurgeTaskDeps {
  readonly db: Kysely<Database>;
  readonly config: Config;
  readonly nodeName: string;
  readonly logger: Logger;
  readonly observer?: PurgeObserver;
}

/**
 * The purge inside the service: on a schedule (`retention.intervalSeconds`), on request (CLI,
 * API), and under disk pressure (`disk.pressurePurge`). One runner at a time across instances (a
 * PostgreSQL session advisory lock); a run that finds it taken is `busy` and does nothing. Each run
 * is recorded in `purge_runs`, its totals saved after every batch.
 */
export class PurgeTask {
  readonly #deps: PurgeTaskDeps;
  readonly #timers: NodeJS.Timeout[] = [];
  #current: Promise<unknown> | undefined;
  #stopping = false;
  #lastPressure: DiskPressure | undefined;
  /** A pressure run that found nothing to remove is not repeated before this (each run reads the eligible range). */
  #nextPressureRunAt = 0;

  constructor(deps: PurgeTaskDeps) {
    this.#deps = deps;
  }

  start(): void {
    const { config } = this.#deps;
    if (config.retention.enabled) {
      this.#timers.push(setInterval(() => this.#inBackground('schedule'), config.retention.intervalSeconds * 1000));
    }
    this.#timers.push(
      setInterval(() => {
        void this.checkDisk();
      }, config.disk.checkIntervalSeconds * 1000),
    );
    void this.checkDisk();
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    for (const timer of this.#timers) clearInterval(timer);
    await this.#current?.catch(() => undefined);
  }

  /** Measures both roots, reports them, and starts a pressure purge when the data root is below the warning. */
  async checkDisk(): Promise<DiskPressure | undefined> {
    const { config, logger, observer } = this.#deps;
    try {
      const settings = { warnFreeBytes: config.disk.warnFreeBytes, maxMessageBytes: config.smtp.maxMessageBytes };
      const data = await measureDiskPressure({ dir: config.dataRoot, ...settings });
      const archive = await measureDiskPressure({ dir: archiveRootOf(config), ...settings });
      observer?.diskMeasured?.('data', data);
      observer?.diskMeasured?.('archive', archive);
      if (data.level !== 'ok' && this.#lastPressure?.level !== data.level) {
        logger.warn(
          `free space under the data root is low (${data.level}): ${data.freeBytes} bytes free, warning below ${data.warnBelowBytes}, mail refused below ${data.refuseBelowBytes}`,
          { ...data },
        );
      }
      this.#lastPressure = data;
      if (data.level !== 'ok' && config.disk.pressurePurge && Date.now() >= this.#nextPressureRunAt) this.#inBackground('pressure');
      return data;
    } catch (error) {
      logger.warn('free space check failed', { error: String(error) });
      return undefined;
    }
  }

  /** The latest runs, newest first. */
  listRuns(limit = 20): Promise<PurgeRunRow[]> {
    return listPurgeRuns(this.#deps.db, { limit });
  }

  /**
   * Runs the purge now. A dry run removes nothing and needs no lock (it only reads). Resolves with
   * the report, or 'busy' when another runner holds the lock. `onStarted` is called once the run
   * is recorded (the API answers then, without waiting for a long run).
   */
  async run(args: { readonly trigger: PurgeTrigger; readonly dryRun: boolean; readonly onStarted?: (runId: string) => void }): Promise<PurgeReport | 'busy'> {
    if (args.dryRun) return this.#runLocked(args);
    return this.#deps.db.connection().execute(async (connection) => {
      if (!(await tryTakePurgeLock(connection))) return 'busy' as const;
      try {
        return await this.#runLocked(args);
      } finally {
        await releasePurgeLock(connection).catch(() => undefined);
      }
    });
  }

  #inBackground(trigger: PurgeTrigger): void {
    if (this.#current !== undefined || this.#stopping) return;
    this.#current = this.run({ trigger, dryRun: false })
      .then((report) => {
        if (report === 'busy') this.#deps.logger.debug('purge skipped: another instance is purging');
        else if (trigger === 'pressure' && report.totals.count === 0) this.#nextPressureRunAt = Date.now() + this.#deps.config.retention.intervalSeconds * 1000;
      })
      .catch((error: unknown) => this.#deps.logger.warn('purge failed; the next run retries', { error: String(error) }))
      .finally(() => {
        this.#current = undefined;
      });
  }

  async #runLocked(args: { readonly trigger: PurgeTrigger; readonly dryRun: boolean; readonly onStarted?: (runId: string) => void }): Promise<PurgeReport> {
    const { db, config, nodeName, logger, observer } = this.#deps;
    const runId = await insertPurgeRun(db, { node: nodeName, trigger: args.trigger, dryRun: args.dryRun });
    args.onStarted?.(runId);
    const tallies = new PurgeTallies();
    let reported: readonly PurgeTally[] = [];
    const started = Date.now();
    // Under pressure the run stops once the warning is cleared: retention decides what may go, pressure only when.
    let pressureCleared = false;
    const shouldContinue = (): boolean => !this.#stopping && !pressureCleared;
    const onBatch = async (): Promise<void> => {
      const now = tallies.list();
      if (!args.dryRun) observer?.purged?.(difference(now, reported));
      reported = now;
      await updatePurgeRun(db, { id: runId, removed: now });
      if (args.trigger === 'pressure') pressureCleared = (await this.checkDiskQuietly())?.level === 'ok';
    };
    let report: PurgeReport;
    try {
      const finished = await withArchiveObjects(config.archive.s3, (archiveObjects) =>
        purgeRetention({ db, config, nodeName, archiveObjects }, { dryRun: args.dryRun, tallies, shouldContinue, onBatch }),
      );
      report = { runId, dryRun: args.dryRun, trigger: args.trigger, outcome: finished ? 'done' : 'stopped', removed: tallies.list(), totals: tallies.totals() };
    } catch (error) {
      report = {
        runId,
        dryRun: args.dryRun,
        trigger: args.trigger,
        outcome: 'failed',
        removed: tallies.list(),
        totals: tallies.totals(),
        error: String(error),
      };
    }
    if (!args.dryRun) observer?.purged?.(difference(report.removed, reported));
    await updatePurgeRun(db, { id: runId, removed: report.removed, outcome: report.outcome, ...(report.error === undefined ? {} : { error: report.error }) });
    observer?.runEnded?.(report);
    const log = report.outcome === 'failed' ? logger.warn.bind(logger) : logger.info.bind(logger);
    log(`purge ${report.outcome}${args.dryRun ? ' (dry run)' : ''}`, {
      runId,
      trigger: args.trigger,
      ...report.totals,
      ms: Date.now() - started,
      ...(report.error === undefined ? {} : { error: report.error }),
    });
    return report;
  }

  async checkDiskQuietly(): Promise<DiskPressure | undefined> {
    const { config } = this.#deps;
    return measureDiskPressure({ dir: config.dataRoot, warnFreeBytes: config.disk.warnFreeBytes, maxMessageBytes: config.smtp.maxMessageBytes }).catch(
      () => undefined,
    );
  }
}

/** What was added since the last report, for counters that only go up. */
function difference(now: readonly PurgeTally[], before: readonly PurgeTally[]): PurgeTally[] {
  return now
    .map((tally) => {
      const earlier = before.find((item) => item.customer === tally.customer && item.kind === tally.kind);
      return { ...tally, count: tally.count - (earlier?.count ?? 0), bytes: tally.bytes - (earlier?.bytes ?? 0) };
    })
    .filter((tally) => tally.count > 0 || tally.bytes > 0);
}
