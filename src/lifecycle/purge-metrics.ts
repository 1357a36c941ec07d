import type { Metrics } from '../metrics/metrics.js';
import type { PurgeObserver } from './purge-task.js';

const PRESSURE_VALUE = { ok: 0, warning: 1, refusing: 2 } as const;

/** Reports the purge and the free space checks in the process's Prometheus metrics. */
export function purgeMetricsObserver(metrics: Metrics): PurgeObserver {
  return {
    purged(tallies) {
      for (const tally of tallies) {
        metrics.purgedItems.inc({ kind: tally.kind }, tally.count);
        metrics.purgedBytes.inc({ kind: tally.kind }, tally.bytes);
      }
    },
    runEnded(report) {
      if (!report.dryRun) metrics.purgeRuns.inc({ trigger: report.trigger, outcome: report.outcome });
    },
    diskMeasured(area, pressure) {
      metrics.diskFreeBytes.set({ area }, pressure.freeBytes);
      metrics.diskPressure.set({ area }, PRESSURE_VALUE[pressure.level]);
    },
  };
}
