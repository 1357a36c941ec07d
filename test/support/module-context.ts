import winston from 'winston';
import { readArchiveEntries } from '../../src/pipeline/extract/extract.js';
import type { ModuleContext } from '../../src/modules/types.js';

/**
 * A ModuleContext as the worker builds one (src/pipeline/jobs/run-job.ts), for tests that call
 * a module's parse or upsert directly: the real archive reader, a silent logger, no hints.
 */
export function testModuleContext(overrides: Partial<ModuleContext> & Pick<ModuleContext, 'workDir' | 'files'>): ModuleContext {
  return {
    jobId: '00000000-0000-4000-8000-000000000000',
    customer: 'bobs_burgers',
    group: 'icecream_machine',
    hints: {},
    logger: winston.createLogger({ silent: true }),
    signal: new AbortController().signal,
    reportProgress: () => undefined,
    readArchiveEntries,
    ...overrides,
  };
}
