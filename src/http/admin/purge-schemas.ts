import { isoDateTime } from '../common-schemas.js';
import { z } from '../zod-openapi.js';

export const purgeRunQuerySchema = z.strictObject({
  dryRun: z.enum(['true', 'false']).optional().openapi({ description: 'true: report what would go, remove nothing (the answer waits for the whole report)' }),
});

const purgeTallySchema = z
  .object({
    customer: z.string().openapi({ example: 'bobs_burgers' }),
    kind: z.enum(['inbox', 'archive', 'jobs', 'failedArrivals', 'unclassified']),
    count: z.number().int(),
    bytes: z.number().int(),
  })
  .openapi('PurgeTally');

export const purgeReportSchema = z
  .object({
    runId: z.string(),
    dryRun: z.boolean(),
    trigger: z.enum(['schedule', 'pressure', 'manual']),
    outcome: z.enum(['done', 'stopped', 'failed']),
    removed: z.array(purgeTallySchema),
    totals: z.object({ count: z.number().int(), bytes: z.number().int() }),
    error: z.string().optional(),
  })
  .openapi('PurgeReport');

export const purgeStartedSchema = z.object({ runId: z.string(), status: z.literal('started') }).openapi('PurgeStarted');

export const purgeRunListSchema = z
  .object({
    runs: z.array(
      z.object({
        id: z.string(),
        node: z.string(),
        trigger: z.enum(['schedule', 'pressure', 'manual']),
        dryRun: z.boolean(),
        startedAt: isoDateTime,
        finishedAt: isoDateTime.nullable(),
        outcome: z
          .enum(['done', 'stopped', 'failed'])
          .nullable()
          .openapi({ description: 'null while running (or when its process was killed: the next run finishes its work)' }),
        error: z.string().nullable(),
        removed: z.array(purgeTallySchema),
      }),
    ),
  })
  .openapi('PurgeRunList');
