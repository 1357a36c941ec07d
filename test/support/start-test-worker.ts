import winston from 'winston';
import type { Config } from '../../src/config/config-schema.js';
import { ModuleRegistry } from '../../src/modules/registry.js';
import type { AnyIngestModule } from '../../src/modules/types.js';
import { Worker } from '../../src/pipeline/jobs/worker.js';
import type { TestService } from './start-test-service.js';

/**
 * A worker of its own on a test service's database and data root (whose own worker is off), so a
 * test decides when claiming starts: jobs staged before it are claimed together.
 */
export function startTestWorker(
  t: TestService,
  args: { readonly modules: readonly AnyIngestModule[]; readonly worker?: Partial<Config['worker']>; readonly moduleSettings?: Config['modules'] },
): Worker {
  const config: Config = {
    ...t.config,
    worker: { ...t.config.worker, enabled: true, ...args.worker },
    modules: { ...t.config.modules, ...args.moduleSettings },
  };
  const worker = new Worker({ db: t.service.database.db, config, registry: new ModuleRegistry(args.modules), logger: winston.createLogger({ silent: true }) });
  worker.start();
  return worker;
}
