import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { JOB_SOURCES } from '../../db/database-schema.js';
import { stagedFileSchema } from '../../db/job-manifest.js';
import { MANIFEST_FILE } from './stage.js';

/**
 * What `manifest.json` in every job folder records: enough to rebuild the job row if the process
 * died between making the folder durable and committing the row (see recover-staging.ts).
 */
export const stagedManifestSchema = z.object({
  manifestVersion: z.literal(1),
  stagingId: z.string(),
  idempotencyKey: z.string(),
  source: z.enum(JOB_SOURCES),
  sourceRef: z.record(z.string(), z.unknown()),
  hints: z.record(z.string(), z.string()),
  customer: z.string(),
  category: z.string(),
  type: z.string(),
  group: z.string(),
  classified: z.boolean(),
  receivedAt: z.string(),
  node: z.string(),
  files: z.array(stagedFileSchema),
});

export type StagedManifest = z.infer<typeof stagedManifestSchema>;

export async function readStagedManifest(dir: string): Promise<StagedManifest | undefined> {
  let text: string;
  try {
    text = await readFile(path.join(dir, MANIFEST_FILE), 'utf8');
  } catch {
    return undefined;
  }
  try {
    const parsed = stagedManifestSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    // Unreadable means incomplete: such a folder was never acknowledged.
    return undefined;
  }
}
