import type { IngestModule } from '../../types.js';
import { exportGroup } from './export-group.js';
import { loadExportPlan, type ExportPlan } from './load-plan.js';
import { upsertExport } from './upsert.js';

/**
 * Veritas2Hview exports (formats spec §3): a NetBackup primary server's jobs, images and storage
 * configuration, uploaded as .tar.gz or .zip, correlated to HYDRAstor grids. `parse` reads the
 * archive once for the small files and the digests; `upsert` streams the large files from it a
 * second time into COPY, inside the job's transaction.
 */
export const veritas2hviewModule = {
  category: 'hydrastor',
  type: 'veritas2hview',
  version: 1,
  // parse and upsert stream the archive where it lies, never extract it (no tmp/ copy of the upload).
  readsOnly: true,
  group: exportGroup,
  parse: loadExportPlan,
  upsert: upsertExport,
  // Each export holds about 100 MiB while it loads: two at once, as the old default concurrency allowed.
  defaults: { timeoutSeconds: 7200, maxRunning: 2 },
} satisfies IngestModule<ExportPlan>;
