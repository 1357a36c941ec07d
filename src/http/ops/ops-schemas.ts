import { z } from '../zod-openapi.js';

export const healthSchema = z.object({ status: z.literal('ok') }).openapi('Health');

const checkSchema = z.object({
  ok: z.boolean(),
  reason: z.string().optional().openapi({ example: 'no answer within 2000 ms' }),
});

export const readinessSchema = z
  .object({
    status: z.enum(['ready', 'not_ready']),
    checks: z.object({
      database: checkSchema,
      dataRoot: checkSchema.extend({
        freeBytes: z.number().optional(),
        warning: z
          .string()
          .optional()
          .openapi({ description: 'Set while free space is below disk.warnFreeBytes: still ready, but mail will be refused if it keeps falling' }),
      }),
      listeners: checkSchema.extend({ listeners: z.array(z.object({ name: z.string(), up: z.boolean() })) }),
      senders: checkSchema.extend({
        requireSenderAllowList: z.boolean().openapi({ description: 'smtp.requireSenderAllowList' }),
        withoutAllowList: z.number().optional().openapi({ description: 'Enabled customers without a sender allow-list' }),
        warning: z.string().optional().openapi({
          description:
            'Set while customers accept any sender (or refuse all mail by a setting that cannot be met): still ready; see docs/operations.md, "Sender security"',
          example: 'customers accepting any sender (no sender allow-list): bobs_burgers, krusty_krab',
        }),
      }),
    }),
  })
  .openapi('Readiness', {
    example: {
      status: 'ready',
      checks: {
        database: { ok: true },
        dataRoot: { ok: true, freeBytes: 84_000_000_000 },
        listeners: { ok: true, listeners: [{ name: 'smtp', up: true }] },
        senders: { ok: true, requireSenderAllowList: false, withoutAllowList: 0 },
      },
    },
  });
