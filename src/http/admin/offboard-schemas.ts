import { isoDateTime, slugSchema } from '../common-schemas.js';
import { z } from '../zod-openapi.js';

const MAX_TOKEN_CHARS = 100;

export const customerDeleteQuerySchema = z.strictObject({
  purge: z
    .enum(['true', 'false'])
    .optional()
    .openapi({ description: 'true removes the customer and all its data (needs dryRun first, then confirm); absent or false only disables it' }),
  dryRun: z.enum(['true', 'false']).optional().openapi({ description: 'With purge=true: remove nothing, answer the counts and a confirmation token' }),
  confirm: z
    .string()
    .max(MAX_TOKEN_CHARS)
    .optional()
    .openapi({ description: 'With purge=true: the token of a dry run', example: '1796300000.n4bQgH3X0p9zq1C6uWb2Jm8kK7rT5yVdLsAeF0hGiIo' }),
});

const fileCountSchema = z.object({ files: z.number().int(), bytes: z.number().int() });
const filesSchema = z.object({ inbox: fileCountSchema, tmp: fileCountSchema, archive: fileCountSchema });
const rowsSchema = z
  .record(z.string(), z.number().int())
  .openapi({ description: 'Rows per table (tables without any left out)', example: { jobs: 12, job_events: 40, hydrastor_grids: 1, customers: 1 } });

export const offboardPlanSchema = z
  .object({
    slug: slugSchema,
    dryRun: z.literal(true),
    disabled: z.boolean().openapi({ description: 'The purge itself needs the customer disabled' }),
    rows: rowsSchema,
    files: filesSchema,
    token: z.string().openapi({ description: 'Pass as confirm=… to purge exactly these rows; any change to them refuses the purge (409 CONFIRMATION_STALE)' }),
    expiresAt: isoDateTime,
  })
  .openapi('OffboardPlan');

export const offboardResultSchema = z
  .object({
    slug: slugSchema,
    dryRun: z.literal(false),
    rows: rowsSchema,
    files: filesSchema,
  })
  .openapi('OffboardResult');

const holdFields = {
  customer: slugSchema.optional(),
  category: z.string().min(1).max(100).optional().openapi({ example: 'hydrastor' }),
  type: z.string().min(1).max(100).optional().openapi({ example: 'system_report' }),
  group: z.string().min(1).max(200).optional().openapi({ description: 'The job group (the grid, for HYDRAstor)', example: 'grid01' }),
};

export const holdCreateSchema = z
  .strictObject({
    ...holdFields,
    reason: z.string().max(500).optional().openapi({ example: 'parser fix pending for the new firmware' }),
  })
  .refine((hold) => [hold.customer, hold.category, hold.type, hold.group].some((field) => field !== undefined), {
    message: 'give at least one of customer, category, type, group',
    path: ['customer'],
  })
  .openapi('HoldCreate', { description: 'Absent fields match anything; at least one is needed' });

export const holdSchema = z
  .object({
    id: z.string().openapi({ example: '3' }),
    customer: z.string().nullable(),
    category: z.string().nullable(),
    type: z.string().nullable(),
    group: z.string().nullable(),
    reason: z.string(),
    createdBy: z.string().openapi({ description: 'Label (or id) of the key that placed it' }),
    createdAt: isoDateTime,
    heldJobs: z.number().int().openapi({ description: 'Jobs held now that this hold matches' }),
  })
  .openapi('Hold');

export const holdListSchema = z.object({ holds: z.array(holdSchema) }).openapi('HoldList');
export const holdReleasedSchema = holdSchema
  .extend({
    released: z.number().int().openapi({ description: 'Jobs sent back to the queue (in arrival order); jobs another hold matches stay held' }),
  })
  .openapi('HoldReleased');
export const holdIdParams = z.object({ id: z.string().openapi({ example: '3' }) });
