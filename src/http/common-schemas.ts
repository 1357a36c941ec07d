import { JOB_SOURCES, JOB_STATUSES } from '../db/database-schema.js';
import { z } from './zod-openapi.js';

/** Statuses a client can see or ask for (`staging` is internal). */
export const VISIBLE_JOB_STATUSES = JOB_STATUSES.filter((status) => status !== 'staging');

export const errorSchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: 'BAD_REQUEST' }),
      message: z.string().openapi({ example: 'limit: must be a positive integer' }),
    }),
  })
  .openapi('Error', { description: 'Every error: a stable code and a message safe to show (400 messages start with the field).' });

export const jobStatusSchema = z.enum(VISIBLE_JOB_STATUSES).openapi('JobStatus');
export const jobSourceSchema = z.enum(JOB_SOURCES).openapi('JobSource');
export const isoDateTime = z.string().openapi({ format: 'date-time', example: '2023-01-13T03:00:00.000Z' });
export const slugSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'must be lower-case letters, digits, _ and - (at most 63, starting with a letter or digit)')
  .openapi({ example: 'bobs_burgers' });

/** The responses every authenticated route may give besides its own. */
export function standardErrors(
  extra: Readonly<Record<number, string>> = {},
): Record<number, { description: string; content: { 'application/json': { schema: typeof errorSchema } } }> {
  const all: Record<number, string> = {
    401: 'Missing, unknown or revoked X-Api-Key (the same answer whatever was sent)',
    429: 'Too many requests for this key; see Retry-After',
    ...extra,
  };
  return Object.fromEntries(
    Object.entries(all).map(([status, description]) => [status, { description, content: { 'application/json': { schema: errorSchema } } }]),
  );
}
