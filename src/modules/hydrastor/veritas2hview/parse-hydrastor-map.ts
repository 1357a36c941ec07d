import { parse } from 'csv-parse/sync';
import { EXPORT_FILES } from './export-entry-kind.js';
import type { ParseIssue } from '../../parse-issue.js';
import { hostKey } from './storage-values.js';

/** Columns of the site-maintained `hydrastor_map.csv` (formats spec §3), in their default order. */
export const HYDRASTOR_MAP_COLUMNS = ['storage_server', 'grid_serial', 'grid_name'] as const;

/** One line of `hydrastor_map.csv`: which grid a NetBackup storage server belongs to. */
export interface HydrastorMapEntry {
  readonly line: number;
  readonly storageServer: string;
  /** The grid's stable key (grids get renamed, serials do not). */
  readonly gridSerial: string;
  readonly gridName: string | null;
}

export interface HydrastorMapResult {
  readonly entries: HydrastorMapEntry[];
  readonly issues: ParseIssue[];
}

interface CsvRecordWithInfo {
  readonly record: string[];
  readonly info: { readonly lines: number };
}

/**
 * Reads `storage_server,grid_serial,grid_name` (RFC 4180, as a person edits it in a spreadsheet):
 * header optional and in any column order, `#` comment lines, BOM, CRLF and blank lines allowed,
 * extra columns ignored. A row without a storage server or serial, or one that maps a server a
 * second time to another grid, is reported and skipped (the first mapping wins). A file that is
 * not CSV at all yields no entries and one issue: the map is optional, the other link methods
 * still apply.
 */
export function parseHydrastorMap(text: string, options: { readonly file?: string } = {}): HydrastorMapResult {
  const file = options.file ?? EXPORT_FILES.hydrastorMap.fileName;
  const issues: ParseIssue[] = [];
  let rows: CsvRecordWithInfo[];
  try {
    rows = parse(text, {
      bom: true,
      comment: '#',
      comment_no_infix: true,
      skip_empty_lines: true,
      trim: true,
      relax_column_count: true,
      info: true,
    }) as unknown as CsvRecordWithInfo[];
  } catch (cause) {
    const line = typeof (cause as { lines?: unknown }).lines === 'number' ? (cause as { lines: number }).lines : null;
    const reason = cause instanceof Error ? cause.message : String(cause);
    return { entries: [], issues: [{ file, line, severity: 'error', message: `not readable as CSV, map ignored: ${reason}` }] };
  }

  const header = rows[0]?.record.map((cell) => cell.toLowerCase());
  const hasHeader = header?.includes('storage_server') === true;
  const columnOf = (name: (typeof HYDRASTOR_MAP_COLUMNS)[number]): number =>
    hasHeader && header !== undefined ? header.indexOf(name) : HYDRASTOR_MAP_COLUMNS.indexOf(name);
  const serverColumn = columnOf('storage_server');
  const serialColumn = columnOf('grid_serial');
  const nameColumn = columnOf('grid_name');
  if (serialColumn === -1) {
    return { entries: [], issues: [{ file, line: 1, severity: 'error', message: 'header has no "grid_serial" column, map ignored' }] };
  }

  const entries: HydrastorMapEntry[] = [];
  const firstByServer = new Map<string, HydrastorMapEntry>();
  for (const { record, info } of hasHeader ? rows.slice(1) : rows) {
    const line = info.lines;
    const storageServer = record[serverColumn] ?? '';
    const gridSerial = record[serialColumn] ?? '';
    if (storageServer.length === 0 || gridSerial.length === 0) {
      issues.push({ file, line, severity: 'error', message: 'row needs a storage_server and a grid_serial, skipped' });
      continue;
    }
    const gridName = nameColumn === -1 ? null : record[nameColumn] || null;
    const earlier = firstByServer.get(hostKey(storageServer));
    if (earlier !== undefined) {
      if (earlier.gridSerial !== gridSerial) {
        issues.push({
          file,
          line,
          severity: 'error',
          message: `storage server ${storageServer} is already mapped to grid ${earlier.gridSerial} on line ${earlier.line}, skipped`,
        });
      }
      continue;
    }
    const entry = { line, storageServer, gridSerial, gridName };
    firstByServer.set(hostKey(storageServer), entry);
    entries.push(entry);
  }
  return { entries, issues };
}
