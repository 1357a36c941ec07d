import { normalizeSubject } from '../../shared/text/normalize-subject.js';

export interface SystemReportSubject {
  readonly grid: string;
  readonly serial: string;
  /** The report's calendar day as written, `YYYY-MM-DD`. */
  readonly date: string;
}

/** Formats spec §1, searched rather than anchored so that `RE:`/`[EXT]` prefixes do not matter. */
const SYSTEM_REPORT_SUBJECT = /\[HYDRAstor\] System Report: (?<grid>\S+) \(S\/N (?<serial>[^)]+)\) (?<date>\d{4}-\d{2}-\d{2})/i;

export function matchSystemReportSubject(subject: string): SystemReportSubject | null {
  const match = SYSTEM_REPORT_SUBJECT.exec(normalizeSubject(subject));
  const { grid, serial, date } = match?.groups ?? {};
  if (grid === undefined || serial === undefined || date === undefined) return null;
  return { grid, serial: serial.trim(), date };
}
