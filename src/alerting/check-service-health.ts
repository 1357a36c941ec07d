import type { Config } from '../config/config-schema.js';
import { findOldestRunnableJob } from '../db/alert-checks-repository.js';
import { listSilentSources } from '../db/sources-repository.js';
import { measureDiskPressure } from '../lifecycle/disk-pressure.js';
import type { AlertRecorder } from './alert-conditions.js';
import type { AlertOccurrence, AlertScope } from './alert-kinds.js';

/** Silent sources looked at per round; beyond it, conditions open over later rounds and none is cleared by mistake. */
const MAX_SILENT_SOURCES = 1000;

/** What the SQS consumer of this instance counted (absent: no queue configured). */
export interface SqsAlertStats {
  readonly queue: string;
  readonly receiveErrors: number;
  /** Receive calls that failed since the last one that succeeded. */
  readonly consecutiveReceiveErrors: number;
}

export interface ServiceHealthDeps {
  readonly config: Config;
  readonly node: string;
  /** Acknowledged messages without a job folder; undefined without a spool. */
  readonly spoolBacklog: () => number | undefined;
  readonly sqs: () => SqsAlertStats | undefined;
  readonly now?: () => number;
}

/**
 * The periodic checks (docs/alerts.md, "Conditions"). Shared ones (silent sources, the queue) look
 * at the database and run on one instance per round; this node's (disk, spool, SQS) look at the
 * process and are keyed by node, so each instance opens and clears only its own.
 */
export class ServiceHealthChecks {
  readonly #deps: ServiceHealthDeps;
  /** Since when the spool backlog has been above zero at every check. */
  #spoolBusySince: number | undefined;
  #sqsErrorsSeen = 0;

  constructor(deps: ServiceHealthDeps) {
    this.#deps = deps;
  }

  async checkShared(recorder: AlertRecorder): Promise<void> {
    await this.#checkSilentSources(recorder);
    await this.#checkQueue(recorder);
  }

  async checkNode(recorder: AlertRecorder): Promise<void> {
    await this.#checkDisk(recorder);
    await this.#checkSpool(recorder);
    await this.#checkSqs(recorder);
  }

  async #checkSilentSources(recorder: AlertRecorder): Promise<void> {
    const { config } = this.#deps;
    const silent = await listSilentSources(recorder.trx, { intervals: config.sources.expectedIntervalHours, limit: MAX_SILENT_SOURCES });
    const now = this.#now();
    const current = silent.map((source): AlertOccurrence => ({
      kind: 'silent_source',
      scope: { customer: source.customer, group: source.group, category: source.category, type: source.type },
      details: {
        lastReceivedAt: source.lastReceivedAt.toISOString(),
        expectedIntervalHours: source.expectedIntervalHours,
        quietHours: Math.round(((now - source.lastReceivedAt.getTime()) / 3_600_000) * 10) / 10,
      },
      count: 1,
    }));
    await recorder.reconcile({ kind: 'silent_source', current, complete: silent.length < MAX_SILENT_SOURCES });
  }

  /** Workers stuck, dead or far behind: the oldest runnable job has waited longer than the threshold. */
  async #checkQueue(recorder: AlertRecorder): Promise<void> {
    const { config } = this.#deps;
    const { oldest, lastFinishedAt } = await findOldestRunnableJob(recorder.trx);
    const waitingSeconds = oldest === undefined ? 0 : (this.#now() - oldest.runnableSince.getTime()) / 1000;
    const stuck = oldest !== undefined && waitingSeconds > config.alerts.thresholds.workerStuckSeconds;
    const current: AlertOccurrence[] = stuck
      ? [
          {
            kind: 'worker_stuck',
            scope: {},
            details: {
              oldestJobId: oldest.id,
              customer: oldest.customer,
              module: `${oldest.category}/${oldest.type}`,
              waitingSeconds: Math.round(waitingSeconds),
              lastFinishedAt: lastFinishedAt?.toISOString() ?? null,
            },
            count: 1,
          },
        ]
      : [];
    await recorder.reconcile({ kind: 'worker_stuck', current });
  }

  async #checkDisk(recorder: AlertRecorder): Promise<void> {
    const { config, node } = this.#deps;
    const settings = { warnFreeBytes: config.disk.warnFreeBytes, maxMessageBytes: config.smtp.maxMessageBytes };
    // The archive root is measured apart only when it is configured apart: by default it is the data root's disk.
    const areas: Array<[string, string]> = [
      ['data', config.dataRoot],
      ...(config.archive.root === null ? [] : [['archive', config.archive.root] as [string, string]]),
    ];
    const current: AlertOccurrence[] = [];
    for (const [area, dir] of areas) {
      const pressure = await measureDiskPressure({ dir, ...settings });
      if (pressure.level === 'ok') continue;
      current.push({ kind: 'disk_low', scope: { node, area }, details: { ...pressure }, count: 1 });
    }
    await recorder.reconcile({ kind: 'disk_low', current, mine: (scope) => scope.node === node });
  }

  async #checkSpool(recorder: AlertRecorder): Promise<void> {
    const { config, node } = this.#deps;
    const backlog = this.#deps.spoolBacklog() ?? 0;
    const now = this.#now();
    this.#spoolBusySince = backlog > 0 ? (this.#spoolBusySince ?? now) : undefined;
    const busySeconds = this.#spoolBusySince === undefined ? 0 : (now - this.#spoolBusySince) / 1000;
    const current: AlertOccurrence[] =
      busySeconds >= config.alerts.thresholds.spoolStuckSeconds
        ? [{ kind: 'spool_stuck', scope: { node }, details: { backlog, stuckSeconds: Math.round(busySeconds) }, count: 1 }]
        : [];
    await recorder.reconcile({ kind: 'spool_stuck', current, mine: (scope) => scope.node === node });
  }

  /** Open once receives keep failing; each round's new errors count into the digest; cleared by a receive that works. */
  async #checkSqs(recorder: AlertRecorder): Promise<void> {
    const { config, node } = this.#deps;
    const stats = this.#deps.sqs();
    if (stats === undefined) return;
    const newErrors = stats.receiveErrors - this.#sqsErrorsSeen;
    this.#sqsErrorsSeen = stats.receiveErrors;
    const scope: AlertScope = { node, queue: stats.queue };
    if (stats.consecutiveReceiveErrors >= config.alerts.thresholds.sqsConsecutiveErrors && newErrors > 0) {
      await recorder.raise({ kind: 'sqs_errors', scope, details: { consecutiveReceiveErrors: stats.consecutiveReceiveErrors }, count: newErrors });
    } else if (stats.consecutiveReceiveErrors === 0) {
      await recorder.reconcile({ kind: 'sqs_errors', current: [], mine: (open) => open.node === node && open.queue === stats.queue });
    }
  }

  #now(): number {
    return this.#deps.now?.() ?? Date.now();
  }
}
