import { isoDateTime } from '../common-schemas.js';
import { z } from '../zod-openapi.js';

const segment = z.string().min(1).max(128);

export const sourcesQuerySchema = z.strictObject({
  customer: segment.optional().openapi({ description: 'Only this customer (a customer key sees only its own anyway)', example: 'bobs_burgers' }),
  category: segment.optional().openapi({ example: 'hydrastor' }),
  type: segment.optional().openapi({ example: 'system_report' }),
  group: segment.optional().openapi({ description: 'The group: a grid, a NetBackup master server', example: 'icecream_machine' }),
  silent: z.enum(['true', 'false']).optional().openapi({ description: 'true: only silent sources; false: only those reporting on time' }),
});

export const sourceSchema = z
  .object({
    customer: z.string(),
    group: z.string(),
    category: z.string(),
    type: z.string(),
    firstReceivedAt: isoDateTime,
    lastReceivedAt: isoDateTime,
    lastJobId: z.string().openapi({ description: 'The job of the last arrival (gone once retention deleted it)' }),
    arrivals: z.number().int(),
    expectedIntervalHours: z.number().nullable().openapi({ description: 'sources.expectedIntervalHours of the module; null: never silent (alerts)' }),
    silent: z.boolean(),
    quietSeconds: z.number().int().openapi({ description: 'Seconds since the last arrival' }),
  })
  .openapi('Source');

export const sourceListSchema = z
  .object({
    sources: z.array(sourceSchema),
    checkedAt: isoDateTime,
    truncated: z.boolean().openapi({ description: 'More sources match than the 5,000 listed: narrow the filter' }),
  })
  .openapi('SourceList');
