import type { ArchiveBudgets } from './archive-budgets.js';
import type { SkipReason } from './extract-types.js';

/** NAME_MAX of Linux file systems: a longer segment would fail with ENAMETOOLONG. */
export const MAX_PATH_SEGMENT_BYTES = 255;

export type NormalizedEntryPath =
  { readonly ok: true; readonly path: string; readonly segments: readonly string[] } | { readonly ok: false; readonly reason: SkipReason };

// C0 controls and DEL: NUL truncates paths in C code, CR/LF split log lines and headers.
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;
// `C:\x` and the drive-relative `C:x` (CVE-2021-37713).
const DRIVE_LETTER = /^[A-Za-z]:/;

/**
 * Turns an archive entry name into a safe relative POSIX path, or says why it is unsafe.
 * Backslashes count as separators (an archive made on Windows, or a `..\x` traversal), empty and
 * `.` segments are dropped, and any `..` segment is refused even when it would stay inside
 * (`a/../b`): a legitimate export never needs one.
 */
export function normalizeEntryPath(name: string, budgets: Pick<ArchiveBudgets, 'maxPathDepth' | 'maxPathBytes'>): NormalizedEntryPath {
  if (name.length === 0) return { ok: false, reason: 'empty-name' };
  if (CONTROL_CHARACTER.test(name)) return { ok: false, reason: 'control-character' };
  const slashed = name.includes('\\') ? name.replaceAll('\\', '/') : name;
  if (slashed.startsWith('/')) return { ok: false, reason: 'absolute-path' };
  if (DRIVE_LETTER.test(slashed)) return { ok: false, reason: 'drive-letter' };

  const segments: string[] = [];
  for (const segment of slashed.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') return { ok: false, reason: 'parent-traversal' };
    segments.push(segment);
  }
  if (segments.length === 0) return { ok: false, reason: 'empty-name' };
  if (segments.length > budgets.maxPathDepth) return { ok: false, reason: 'path-too-deep' };
  for (const segment of segments) {
    if (Buffer.byteLength(segment) > MAX_PATH_SEGMENT_BYTES) return { ok: false, reason: 'name-too-long' };
  }
  const path = segments.join('/');
  if (Buffer.byteLength(path) > budgets.maxPathBytes) return { ok: false, reason: 'path-too-long' };
  return { ok: true, path, segments };
}

export interface StrippedPaths {
  /** The folder every path sat under, or undefined when there was no single one. */
  readonly folder: string | undefined;
  /** The paths in the same order, without that folder. */
  readonly paths: readonly string[];
}

/**
 * Exports may sit under one top-level folder (`Veritas2Hview_<master>_<time>/manifest.json`).
 * Strips it when every path has it; otherwise returns the paths unchanged.
 */
export function stripCommonTopLevelFolder(paths: readonly string[]): StrippedPaths {
  let folder: string | undefined;
  for (const path of paths) {
    const slash = path.indexOf('/');
    if (slash <= 0) return { folder: undefined, paths };
    const first = path.slice(0, slash);
    if (folder === undefined) folder = first;
    else if (first !== folder) return { folder: undefined, paths };
  }
  if (folder === undefined) return { folder: undefined, paths };
  const prefixLength = folder.length + 1;
  return { folder, paths: paths.map((path) => path.slice(prefixLength)) };
}
