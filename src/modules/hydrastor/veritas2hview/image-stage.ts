import { sql, type Transaction } from 'kysely';
import type { Database } from '../../../db/database-schema.js';
import type { BpimagelistFragment, BpimagelistImage } from './bpimagelist-image.js';
import { column, type StageTable } from './copy-columns.js';
import { kilobytesToBytes } from './copy-text.js';
import { INFINITE_DATE_MS } from './number-kinds.js';

export const IMAGE_STAGE_NAME = 'veritas_stage_images';
export const IMAGES_TABLE = 'veritas_images';
export const FRAGMENTS_TABLE = 'veritas_image_fragments';

/** A fragment as the staged JSON carries it: keys are `veritas_image_fragments` columns. */
type FragmentJson = Record<string, string | number | null>;

const INT4_MAX = 2_147_483_647;

/**
 * The `veritas_images` staging table. An image's fragments ride along as one jsonb array, so a
 * single COPY stream carries both (a connection runs one COPY at a time) and the fragment merge
 * unpacks them with jsonb_to_recordset.
 */
export const IMAGE_STAGE: StageTable<BpimagelistImage> = {
  name: IMAGE_STAGE_NAME,
  columns: [
    column.text('backup_id', (image) => image.backupId),
    column.text('client', (image) => image.client),
    column.integer('image_version', (image) => image.imageVersion),
    column.text('policy', (image) => image.policy),
    column.integer('client_type', (image) => image.clientType),
    column.text('proxy_client', (image) => image.proxyClient),
    column.text('creator', (image) => image.creator),
    column.text('schedule_label', (image) => image.scheduleLabel),
    column.integer('schedule_type', (image) => image.scheduleType),
    column.integer('retention_level', (image) => image.retentionLevel),
    column.epochTimestamp('backup_time', (image) => image.backupTime),
    column.bigint('elapsed_seconds', (image) => image.elapsedSeconds),
    column.epochTimestamp('expires_at', (image) => image.expiresAt),
    column.integer('compression', (image) => image.compression),
    column.integer('encryption', (image) => image.encryption),
    column.bigint('size_bytes', (image) => kilobytesToBytes(image.kilobytes)),
    column.bigint('files', (image) => image.files),
    column.integer('copies', (image) => image.copies),
    column.integer('fragment_count', (image) => image.fragmentCount),
    column.integer('primary_copy', (image) => image.primaryCopy),
    column.integer('image_type', (image) => image.imageType),
    column.text('keyword', (image) => image.keyword),
    column.bigint('job_id', (image) => image.jobId),
    column.json('extra', (image) => image.extra),
    { ...column.json('fragments', (image) => fragmentsJson(image.fragments)), stageOnly: true },
  ],
};

/** Fragments without a copy or fragment number cannot be keyed; a repeated key keeps the first. */
function fragmentsJson(fragments: readonly BpimagelistFragment[]): FragmentJson[] {
  const seen = new Set<string>();
  const rows: FragmentJson[] = [];
  for (const fragment of fragments) {
    const copy = wholeNumber(fragment.copyNumber);
    const number = wholeNumber(fragment.fragmentNumber);
    if (copy === null || number === null) continue;
    const key = `${copy}:${number}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const bytes = kilobytesToBytes(fragment.kilobytes, fragment.remainderBytes ?? 0);
    rows.push({
      copy_number: copy,
      fragment_number: number,
      // As text: jsonb numbers are exact, but a JavaScript number is not beyond 2^53.
      size_bytes: bytes === null ? null : bytes.toString(),
      media_type: wholeNumber(fragment.mediaType),
      density: wholeNumber(fragment.density),
      file_number: safeNumber(fragment.fileNumber),
      media_id: fragment.mediaId,
      host: fragment.host,
      block_size: safeNumber(fragment.blockSize),
      file_offset: safeNumber(fragment.offset),
      media_date: fragment.mediaDate === null ? null : isoOrNull(fragment.mediaDate),
      device_written_on: wholeNumber(fragment.deviceWrittenOn),
      flags: wholeNumber(fragment.flags),
      media_descriptor: fragment.mediaDescriptor,
      expires_at: fragment.expiresAt === null ? null : isoOrNull(fragment.expiresAt),
      multiplexed: wholeNumber(fragment.multiplexed),
      retention_level: wholeNumber(fragment.retentionLevel),
    });
  }
  return rows;
}

function wholeNumber(value: number | null): number | null {
  return value !== null && Number.isInteger(value) && Math.abs(value) <= INT4_MAX ? value : null;
}

function safeNumber(value: number | null): number | null {
  return value !== null && Number.isSafeInteger(value) ? value : null;
}

function isoOrNull(date: Date): string | null {
  // NetBackup's "never expires" (jsonb_to_recordset reads 'infinity' as timestamptz infinity).
  if (date.getTime() === INFINITE_DATE_MS) return 'infinity';
  const year = date.getUTCFullYear();
  return Number.isNaN(year) || year < 1 || year > 9999 ? null : date.toISOString();
}

const FRAGMENT_COLUMNS = `copy_number integer, fragment_number integer, size_bytes bigint, media_type integer, density integer,
  file_number bigint, media_id text, host text, block_size bigint, file_offset bigint, media_date timestamptz,
  device_written_on integer, flags integer, media_descriptor text, expires_at timestamptz, multiplexed integer, retention_level integer`;
const FRAGMENT_VALUES = [
  'size_bytes',
  'media_type',
  'density',
  'file_number',
  'media_id',
  'host',
  'block_size',
  'file_offset',
  'media_date',
  'device_written_on',
  'flags',
  'media_descriptor',
  'expires_at',
  'multiplexed',
  'retention_level',
] as const;

/**
 * Merges the staged images' fragments: each staged image's fragment list replaces the stored one
 * (fragments no longer listed are deleted; changed ones updated; unchanged ones left alone).
 * Runs after the image merge (fragments reference their image). An image whose stored row or any
 * stored fragment comes from a newer export than this one keeps its list untouched: an older
 * export must neither bring back fragments that expired since nor drop ones added since.
 * Returns rows written or removed.
 */
export async function mergeStagedFragments(
  trx: Transaction<Database>,
  args: {
    readonly masterServerId: string;
    readonly jobId: string;
    readonly observedAt: Date | null;
  },
): Promise<number> {
  const changed = `ROW(${FRAGMENT_VALUES.map((name) => `existing.${name}`).join(', ')}) IS DISTINCT FROM ROW(${FRAGMENT_VALUES.map((name) => `excluded.${name}`).join(', ')})`;
  const observedAt = sql`coalesce(${args.observedAt?.toISOString() ?? null}::timestamptz, '-infinity'::timestamptz)`;
  const result = await sql<{ written: number }>`
    WITH replaceable AS (
      SELECT staged.backup_id, staged.fragments FROM ${sql.raw(IMAGE_STAGE_NAME)} AS staged
      WHERE NOT EXISTS (
          SELECT 1 FROM ${sql.raw(IMAGES_TABLE)} AS image
          WHERE image.master_server_id = ${args.masterServerId}::bigint AND image.backup_id = staged.backup_id
            AND coalesce(image.observed_at, '-infinity'::timestamptz) > ${observedAt}
        )
        AND NOT EXISTS (
          SELECT 1 FROM ${sql.raw(FRAGMENTS_TABLE)} AS stored
          WHERE stored.master_server_id = ${args.masterServerId}::bigint AND stored.backup_id = staged.backup_id
            AND coalesce(stored.observed_at, '-infinity'::timestamptz) > ${observedAt}
        )
    ),
    incoming AS (
      SELECT replaceable.backup_id, fragment.*
      FROM replaceable, jsonb_to_recordset(replaceable.fragments) AS fragment(${sql.raw(FRAGMENT_COLUMNS)})
    ),
    removed AS (
      DELETE FROM ${sql.raw(FRAGMENTS_TABLE)} AS stored
      USING replaceable
      WHERE stored.master_server_id = ${args.masterServerId}::bigint AND stored.backup_id = replaceable.backup_id
        AND NOT EXISTS (
          SELECT 1 FROM incoming
          WHERE incoming.backup_id = stored.backup_id AND incoming.copy_number = stored.copy_number AND incoming.fragment_number = stored.fragment_number
        )
      RETURNING 1
    ),
    written AS (
      INSERT INTO ${sql.raw(FRAGMENTS_TABLE)} AS existing
        (master_server_id, backup_id, copy_number, fragment_number, ${sql.raw(FRAGMENT_VALUES.join(', '))}, observed_at, last_job_id)
      SELECT ${args.masterServerId}::bigint, backup_id, copy_number, fragment_number, ${sql.raw(FRAGMENT_VALUES.join(', '))},
        ${args.observedAt?.toISOString() ?? null}::timestamptz, ${args.jobId}::uuid
      FROM incoming
      ON CONFLICT (master_server_id, backup_id, copy_number, fragment_number) DO UPDATE SET
        ${sql.raw(FRAGMENT_VALUES.map((name) => `${name} = excluded.${name}`).join(', '))}, observed_at = excluded.observed_at,
        last_job_id = excluded.last_job_id, updated_at = now()
      WHERE ${sql.raw(changed)}
      RETURNING 1
    )
    SELECT ((SELECT count(*) FROM written) + (SELECT count(*) FROM removed))::integer AS written`.execute(trx);
  return result.rows[0]?.written ?? 0;
}
