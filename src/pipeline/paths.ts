import { createHash } from 'node:crypto';
import path from 'node:path';

/** The seed's three prefixes under the data root. */
export const AREAS = ['inbox', 'tmp', 'archive'] as const;
export type Area = (typeof AREAS)[number];

/** Where arrivals are written before they are complete; never visible as a job folder. */
export const INCOMING_FOLDER = '.incoming';

const MAX_SEGMENT_BYTES = 100;
const HASH_SUFFIX_CHARS = 8;

/**
 * Makes one path segment safe: only `[A-Za-z0-9._-]` survive (anything else becomes `_`), no
 * leading dot (so never `.` or `..`), never empty, at most 100 bytes. A shortened segment keeps a
 * hash of the original so distinct long names stay distinct.
 */
export function sanitizeSegment(value: string): string {
  let safe = value
    .normalize('NFC')
    .replace(/[^A-Za-z0-9._-]/g, '_')
    .replace(/^\.+/, (dots) => '_'.repeat(dots.length));
  if (safe === '') safe = '_';
  if (safe.length > MAX_SEGMENT_BYTES) {
    const hash = createHash('sha256').update(value).digest('hex').slice(0, HASH_SUFFIX_CHARS);
    safe = `${safe.slice(0, MAX_SEGMENT_BYTES - HASH_SUFFIX_CHARS - 1)}_${hash}`;
  }
  return safe;
}

/** `YYYYMMDD_HHMMSS` of the receive time in the given IANA zone (the seed's `<datetime>`). */
export function formatReceiveTime(at: Date, timeZone: string): string {
  const parts = receiveTimeFormat(timeZone).formatToParts(at);
  const get = (type: string): string => parts.find((part) => part.type === type)?.value ?? '00';
  return `${get('year')}${get('month')}${get('day')}_${get('hour')}${get('minute')}${get('second')}`;
}

// Building an Intl.DateTimeFormat costs about a millisecond; a service uses one or two zones.
const formats = new Map<string, Intl.DateTimeFormat>();
function receiveTimeFormat(timeZone: string): Intl.DateTimeFormat {
  let format = formats.get(timeZone);
  if (format === undefined) {
    format = new Intl.DateTimeFormat('en-GB', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    });
    if (formats.size > 100) formats.clear();
    formats.set(timeZone, format);
  }
  return format;
}

export interface JobPathParts {
  readonly customer: string;
  readonly category: string;
  readonly type: string;
  readonly group: string;
  readonly receivedAt: Date;
  readonly timeZone: string;
}

/** `<customer>/<category>/<type>/<group>/<datetime>`, every segment sanitized; `attempt` > 1 adds `_<n>`. */
export function jobRelativePath(parts: JobPathParts, attempt = 1): string {
  const stamp = formatReceiveTime(parts.receivedAt, parts.timeZone);
  return [parts.customer, parts.category, parts.type, parts.group, attempt > 1 ? `${stamp}_${attempt}` : stamp].map(sanitizeSegment).join('/');
}

/**
 * Absolute path of a job folder in one area. Refuses anything that would resolve outside the
 * area, as a last line of defence behind sanitizeSegment.
 */
export function areaPath(dataRoot: string, area: Area, relativePath: string): string {
  return pathInside(path.resolve(dataRoot, area), relativePath, `${area}/`);
}

/** The archive area: `archive.root` when set (another mount), else `<dataRoot>/archive`. */
export function archiveRootOf(config: { readonly dataRoot: string; readonly archive: { readonly root: string | null } }): string {
  return config.archive.root ?? path.resolve(config.dataRoot, 'archive');
}

/** A job folder under the archive root, with the same guard as areaPath. */
export function archivePath(archiveRoot: string, relativePath: string): string {
  return pathInside(path.resolve(archiveRoot), relativePath, 'the archive root');
}

function pathInside(base: string, relativePath: string, name: string): string {
  const full = path.resolve(base, relativePath);
  if (full !== base && !full.startsWith(`${base}${path.sep}`)) throw new Error(`path ${JSON.stringify(relativePath)} escapes ${name}`);
  return full;
}
