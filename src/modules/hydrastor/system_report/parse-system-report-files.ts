import { IngestError } from '../../../core/ingest-error.js';
import type { FieldSource } from '../../shared/text/field-source.js';
import type { ParseIssue } from '../../parse-issue.js';
import { readCsvRecords } from '../../shared/csv/read-csv-records.js';
import { assembleSystemReport } from './assemble-system-report.js';
import { OPTIONAL_REPORT_PARTS, REPORT_FILES, type ReportPart } from './system-report-columns.js';
import type { SystemReport } from './system-report-types.js';

const PART_BY_FILE: ReadonlyMap<string, ReportPart> = new Map((Object.entries(REPORT_FILES) as [ReportPart, string][]).map(([part, file]) => [file, part]));

/** `report/Nodes.CSV` → `nodes.csv`: the archive may hold a top-level folder, names may change case. */
function baseName(path: string): string {
  return path.slice(Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')) + 1).toLowerCase();
}

/**
 * Reads the report attachment's CSV files (already extracted; keys are base names, values the
 * UTF-8 text). Files may come in any order; unknown files are listed in `ignored`; a missing
 * system.csv makes the report unusable, any other missing file is an issue (replication.csv and
 * alerts_active.csv are optional and not even that).
 */
export function parseSystemReportFiles(args: {
  readonly files: ReadonlyMap<string, string>;
  /** The grid's known IANA zone, for times without an offset when system.csv names none. */
  readonly timezone?: string | null | undefined;
}): SystemReport {
  const issues: ParseIssue[] = [];
  const ignored: string[] = [];
  const texts = new Map<ReportPart, { file: string; text: string }>();
  for (const [path, text] of args.files) {
    const file = baseName(path);
    const part = PART_BY_FILE.get(file);
    if (part === undefined) {
      ignored.push(path);
    } else if (texts.has(part)) {
      issues.push({ file, line: null, message: `"${path}" is a second ${file}; ignored` });
      ignored.push(path);
    } else {
      texts.set(part, { file, text });
    }
  }

  const recordsOf = (part: ReportPart): FieldSource[] => {
    const entry = texts.get(part);
    if (entry === undefined) {
      if (!OPTIONAL_REPORT_PARTS.has(part)) {
        issues.push({ file: REPORT_FILES[part], line: null, message: 'file missing from the report' });
      }
      return [];
    }
    return readCsvRecords({ file: entry.file, text: entry.text, issues });
  };

  if (!texts.has('system')) {
    throw new IngestError('HYDRASTOR_REPORT_NO_SYSTEM_CSV', `The system report attachment has no ${REPORT_FILES.system}`, {
      details: { files: [...args.files.keys()] },
    });
  }
  const [system, ...extraSystemRows] = recordsOf('system');
  if (system === undefined) {
    throw new IngestError('HYDRASTOR_REPORT_INCOMPLETE', `${REPORT_FILES.system} has no data row`);
  }
  for (const extra of extraSystemRows) {
    issues.push({ file: extra.file, line: extra.line, message: 'more than one system row; the first one is used' });
  }

  return assembleSystemReport({
    source: 'attachment',
    records: {
      system,
      capacity: recordsOf('capacity'),
      nodes: recordsOf('nodes'),
      filesystems: recordsOf('filesystems'),
      replication: recordsOf('replication'),
      activeAlerts: recordsOf('activeAlerts'),
    },
    timezone: args.timezone ?? null,
    ignored,
    issues,
  });
}
