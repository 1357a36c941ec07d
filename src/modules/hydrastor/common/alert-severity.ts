/** Ascending: a higher index is more severe. */
export const ALERT_SEVERITIES = ['INFO', 'WARNING', 'ERROR', 'CRITICAL'] as const;
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];

const SEVERITY_SPELLINGS: ReadonlyMap<string, AlertSeverity> = new Map([
  ['info', 'INFO'],
  ['information', 'INFO'],
  ['informational', 'INFO'],
  ['warning', 'WARNING'],
  ['warn', 'WARNING'],
  ['error', 'ERROR'],
  ['err', 'ERROR'],
  ['critical', 'CRITICAL'],
  ['crit', 'CRITICAL'],
  ['fatal', 'CRITICAL'],
]);

export function parseAlertSeverity(text: string): AlertSeverity | null {
  return SEVERITY_SPELLINGS.get(text.trim().toLowerCase()) ?? null;
}

export function alertSeverityRank(severity: AlertSeverity): number {
  return ALERT_SEVERITIES.indexOf(severity);
}
