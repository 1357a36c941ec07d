import type { SystemReportSubject } from './match-system-report-subject.js';
import type { SystemReport } from './system-report-types.js';

/** The job's group is the grid name: from the parsed report when there is one, else from the subject. */
export function systemReportGroup(source: SystemReport | SystemReportSubject): string {
  return 'system' in source ? source.system.name : source.grid;
}
