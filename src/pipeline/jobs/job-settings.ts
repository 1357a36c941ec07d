import type { Config } from '../../config/config-schema.js';
import type { AnyIngestModule } from '../../modules/types.js';

export interface JobSettings {
  readonly timeoutSeconds: number;
  readonly maxAttempts: number;
  readonly archive: 'none' | 'copy' | 'tar.gz' | 'zip';
  /** Jobs of this module one worker runs at once; null: as many as `worker.concurrency`. */
  readonly maxRunning: number | null;
}

/** Per-module settings: `config.modules["<category>/<type>"]`, then the module's defaults, then the global ones. */
export function jobSettingsFor(config: Config, moduleKey: string, module: AnyIngestModule | undefined): JobSettings {
  const configured = config.modules[moduleKey];
  return {
    timeoutSeconds: configured?.timeoutSeconds ?? module?.defaults?.timeoutSeconds ?? config.jobs.defaultTimeoutSeconds,
    maxAttempts: configured?.maxAttempts ?? config.worker.maxAttempts,
    archive: configured?.archive ?? module?.defaults?.archive ?? 'none',
    maxRunning: configured?.maxRunning ?? module?.defaults?.maxRunning ?? null,
  };
}
