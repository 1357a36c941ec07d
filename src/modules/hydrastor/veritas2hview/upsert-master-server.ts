import { sql, type Transaction } from 'kysely';
import type { Database } from '../../../db/database-schema.js';
import { IngestError } from '../../../core/ingest-error.js';
import { withoutNul } from './copy-text.js';

/** An undated export (export-observation.ts) counts as older than any dated one. */
const IS_NEWEST = '(existing.last_export_at IS NULL OR excluded.last_export_at >= existing.last_export_at)';
const NEXT_STATE = [
  {
    name: 'netbackup_version',
    value: `CASE WHEN ${IS_NEWEST} THEN coalesce(excluded.netbackup_version, existing.netbackup_version) ELSE coalesce(existing.netbackup_version, excluded.netbackup_version) END`,
  },
  {
    name: 'timezone',
    value: `CASE WHEN ${IS_NEWEST} THEN coalesce(excluded.timezone, existing.timezone) ELSE coalesce(existing.timezone, excluded.timezone) END`,
  },
  { name: 'last_export_at', value: 'greatest(existing.last_export_at, excluded.last_export_at)' },
] as const;
const ASSIGNMENTS = NEXT_STATE.map(({ name, value }) => `${name} = ${value}`).join(', ');
const CHANGED = `ROW(${NEXT_STATE.map(({ value }) => value).join(', ')}) IS DISTINCT FROM ROW(${NEXT_STATE.map(({ name }) => `existing.${name}`).join(', ')})`;

export interface MasterServerWrite {
  readonly id: string;
  readonly written: boolean;
}

/**
 * The export's master server, keyed by (customer, name ignoring case). The newest export's
 * version and time zone win; an older one only fills gaps. The conflicting row is locked either
 * way, so two exports of one master load one after the other.
 */
export async function upsertMasterServer(
  trx: Transaction<Database>,
  args: {
    readonly customer: string;
    readonly name: string;
    readonly netbackupVersion: string | null;
    readonly timezone: string | null;
    readonly exportedAt: Date | null;
    readonly jobId: string;
  },
): Promise<MasterServerWrite> {
  const name = withoutNul(args.name);
  const written = await sql<{ id: string }>`
    INSERT INTO veritas_master_servers AS existing (customer, name, netbackup_version, timezone, last_export_at, last_job_id)
    VALUES (${args.customer}, ${name}, ${args.netbackupVersion === null ? null : withoutNul(args.netbackupVersion)},
      ${args.timezone}, ${args.exportedAt?.toISOString() ?? null}::timestamptz, ${args.jobId}::uuid)
    ON CONFLICT (customer, lower(name)) DO UPDATE SET ${sql.raw(ASSIGNMENTS)}, last_job_id = excluded.last_job_id, updated_at = now()
    WHERE ${sql.raw(CHANGED)}
    RETURNING id`.execute(trx);
  const changed = written.rows[0];
  if (changed !== undefined) return { id: changed.id, written: true };
  const existing = await sql<{ id: string }>`
    SELECT id FROM veritas_master_servers WHERE customer = ${args.customer} AND lower(name) = lower(${name})`.execute(trx);
  const row = existing.rows[0];
  if (row === undefined) throw new IngestError('VERITAS_MASTER_MISSING', `master server ${name} vanished during its own upsert`);
  return { id: row.id, written: false };
}
