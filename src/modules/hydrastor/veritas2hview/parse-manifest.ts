import { z } from 'zod';
import { IngestError } from '../../../core/ingest-error.js';
import { findBpdbjobsColumnsProblem } from './bpdbjobs-columns.js';
import { EXPORT_FILES } from './export-entry-kind.js';

/** The only manifest version this parser understands; a newer one may change meanings silently. */
export const SUPPORTED_MANIFEST_FORMAT_VERSION = 1;
/** How many validation problems one error message lists (all of them go into `details`). */
const MAX_PROBLEMS_IN_MESSAGE = 5;

/** Zod's error option: "is missing" for an absent field, else what the field must be. */
function mustBe(expectation: string): (issue: { readonly input?: unknown }) => string {
  return (issue) => (issue.input === undefined ? 'is missing' : expectation);
}

const isoDateTime = z.iso
  .datetime({ offset: true, error: mustBe('must be an ISO-8601 date-time with an offset, such as 2023-01-13T03:00:00+00:00') })
  .transform((value) => new Date(value));

const nonEmptyText = z
  .string({ error: mustBe('must be a string') })
  .trim()
  .min(1, { error: 'must not be empty' });

const manifestFileSchema = z.object({
  name: nonEmptyText,
  sha256: z
    .string({ error: mustBe('must be a string') })
    .regex(/^[0-9a-fA-F]{64}$/, { error: 'must be 64 hexadecimal digits' })
    .transform((digest) => digest.toLowerCase())
    .optional(),
  rows: z.number({ error: 'must be a number' }).int({ error: 'must be a whole number' }).nonnegative({ error: 'must not be negative' }).optional(),
});

const manifestSchema = z.object(
  {
    format: z.literal('veritas2hview', { error: mustBe('must be "veritas2hview"') }),
    formatVersion: z.literal(SUPPORTED_MANIFEST_FORMAT_VERSION, {
      error: mustBe(`must be ${SUPPORTED_MANIFEST_FORMAT_VERSION} (the only version this service reads)`),
    }),
    generatedAt: isoDateTime,
    masterServer: nonEmptyText,
    netbackupVersion: nonEmptyText,
    timezone: nonEmptyText.refine(isIanaTimeZone, { error: 'must be an IANA time zone such as Asia/Tokyo' }),
    window: z
      .object({ from: isoDateTime, to: isoDateTime }, { error: mustBe('must be an object with "from" and "to"') })
      .refine(({ from, to }) => !(from instanceof Date && to instanceof Date) || from.getTime() <= to.getTime(), {
        error: '"from" must not be after "to"',
      }),
    bpdbjobsColumns: z
      .array(z.string({ error: 'must be a string' }), { error: mustBe('must be an array of column names') })
      .superRefine((columns, context) => {
        const problem = findBpdbjobsColumnsProblem(columns);
        if (problem !== null) context.addIssue({ code: 'custom', message: problem });
      })
      .optional(),
    files: z.array(manifestFileSchema, { error: mustBe('must be an array of {name, sha256, rows}') }).superRefine((files, context) => {
      const seen = new Set<string>();
      for (const [index, file] of files.entries()) {
        const key = baseName(file.name).toLowerCase();
        if (seen.has(key)) context.addIssue({ code: 'custom', path: [index, 'name'], message: `"${file.name}" is listed twice` });
        seen.add(key);
      }
    }),
  },
  { error: 'must be a JSON object' },
);

/** A validated `manifest.json` (formats spec §3): dates parsed, digests lower-cased. */
export type Veritas2HviewManifest = z.output<typeof manifestSchema>;
export type ManifestFile = Veritas2HviewManifest['files'][number];

export interface ManifestProblem {
  /** Dotted path of the field, such as `window.from` or `files.2.sha256`. */
  readonly field: string;
  readonly message: string;
}

/**
 * Validates `manifest.json`. Unknown keys are ignored (newer export tools may add some). Throws
 * `MANIFEST_INVALID` naming every bad field: a manifest that lies about columns or digests makes
 * the whole export untrustworthy, so this is a job failure rather than a line issue.
 */
export function parseManifest(text: string, options: { readonly file?: string } = {}): Veritas2HviewManifest {
  const file = options.file ?? EXPORT_FILES.manifest.fileName;
  let json: unknown;
  try {
    json = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new IngestError('MANIFEST_INVALID', `${file} is not valid JSON: ${reason}`, { cause });
  }
  const result = manifestSchema.safeParse(json);
  if (result.success) return result.data;

  const problems: ManifestProblem[] = result.error.issues.map((issue) => ({
    field: issue.path.length === 0 ? '(document)' : issue.path.map(String).join('.'),
    message: issue.message,
  }));
  const listed = problems.slice(0, MAX_PROBLEMS_IN_MESSAGE).map((problem) => `field "${problem.field}" ${problem.message}`);
  const more = problems.length > MAX_PROBLEMS_IN_MESSAGE ? ` (and ${problems.length - MAX_PROBLEMS_IN_MESSAGE} more)` : '';
  throw new IngestError('MANIFEST_INVALID', `${file}: ${listed.join('; ')}${more}`, {
    details: { file, problems },
  });
}

/** The digest the manifest promises for a file (matched by base name, any case), or null. */
export function expectedSha256(manifest: Veritas2HviewManifest, fileName: string): string | null {
  const wanted = baseName(fileName).toLowerCase();
  const entry = manifest.files.find((file) => baseName(file.name).toLowerCase() === wanted);
  return entry?.sha256 ?? null;
}

/**
 * Compares a file's SHA-256 (hex, computed by the caller while reading it) with the manifest.
 * Returns the `MANIFEST_DIGEST_MISMATCH` error to fail the job with, or null when it matches or
 * the manifest gives no digest.
 */
export function checkManifestDigest(args: {
  readonly manifest: Veritas2HviewManifest;
  readonly fileName: string;
  readonly actualSha256: string;
}): IngestError | null {
  const expected = expectedSha256(args.manifest, args.fileName);
  const actual = args.actualSha256.toLowerCase();
  if (expected === null || expected === actual) return null;
  return new IngestError(
    'MANIFEST_DIGEST_MISMATCH',
    `${baseName(args.fileName)}: SHA-256 is ${actual} but manifest.json says ${expected} (file altered or truncated)`,
    { details: { file: baseName(args.fileName), expected, actual } },
  );
}

function baseName(path: string): string {
  const parts = path.split(/[\\/]/);
  return parts[parts.length - 1] ?? path;
}

function isIanaTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}
