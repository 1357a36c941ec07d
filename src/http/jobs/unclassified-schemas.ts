import { z } from '../zod-openapi.js';

export const assignRequestSchema = z
  .strictObject({
    module: z
      .string()
      .regex(/^[a-z0-9_]+\/[a-z0-9_]+$/, 'must be "<category>/<type>"')
      .openapi({ example: 'hydrastor/system_report' }),
    group: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/, 'letters, digits, _, . and - (at most 100, not starting with . _ or -)')
      .openapi({ description: 'The group (grid, master server)', example: 'icecream_machine' }),
  })
  .openapi('AssignRequest');

export const dismissRequestSchema = z
  .strictObject({ reason: z.string().trim().min(1).max(500).openapi({ example: 'newsletter sent to the ingest address by mistake' }) })
  .openapi('DismissRequest');
