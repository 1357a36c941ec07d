import type { ConsoleFormat } from '../logging/console-format.js';

export interface StartupFacts {
  readonly httpUrl: string | null;
  readonly smtp: { readonly host: string; readonly port: number } | null;
  readonly ingestDomains: readonly string[];
  readonly dataRoot: string;
  readonly logDir: string;
  readonly embeddedDatabase: boolean;
  /** Set on the very first start only; printed once, never logged to a file. */
  readonly generatedAdminKey: string | null;
}

/**
 * What `serve` prints once it listens, in the format of the log lines that follow it on stdout,
 * so stdout is all JSON for a collector or all readable text for a person. The generated admin
 * key goes to stdout only (the log files never hold a key).
 */
export function startupLines(format: ConsoleFormat, facts: StartupFacts): string[] {
  const smtp = facts.smtp === null ? null : `${facts.smtp.host.includes(':') ? `[${facts.smtp.host}]` : facts.smtp.host}:${facts.smtp.port}`;
  const database = facts.embeddedDatabase ? 'embedded PostgreSQL' : 'DATABASE_URL';
  if (format === 'json') {
    const line = (level: string, message: string, fields: Record<string, unknown>): string =>
      JSON.stringify({ component: 'cli', level, message, ...fields, timestamp: new Date().toISOString() });
    return [
      line('info', 'DataProcessor listening', {
        http: facts.httpUrl,
        api: facts.httpUrl === null ? null : `${facts.httpUrl}/api/1.0`,
        smtp,
        ingestDomains: facts.ingestDomains,
        dataRoot: facts.dataRoot,
        logDir: facts.logDir,
        database,
      }),
      ...(facts.generatedAdminKey === null
        ? []
        : [
            line('warn', 'first start: an admin API key was generated; it is shown only this once (only its hash is stored)', {
              adminApiKey: facts.generatedAdminKey,
            }),
          ]),
    ];
  }
  return [
    facts.httpUrl === null
      ? 'DataProcessor listening: HTTP disabled'
      : `DataProcessor listening: HTTP ${facts.httpUrl} (API under ${facts.httpUrl}/api/1.0, health ${facts.httpUrl}/healthz)`,
    smtp === null ? 'SMTP: disabled (smtp.enabled is false)' : `SMTP: listening on ${smtp} (ingest domains: ${facts.ingestDomains.join(', ') || 'none'})`,
    `data root ${facts.dataRoot}, logs ${facts.logDir}, database ${database}`,
    ...(facts.generatedAdminKey === null
      ? []
      : [
          '',
          'First start: an admin API key was generated. It is shown only this once; only its hash is stored:',
          `  X-Api-Key: ${facts.generatedAdminKey}`,
          '',
        ]),
  ];
}

/** The line `serve` prints when a signal stops it. */
export function stoppingLine(format: ConsoleFormat, signal: string, graceSeconds: number): string {
  return format === 'json'
    ? JSON.stringify({ component: 'cli', level: 'info', message: `${signal} received: stopping`, graceSeconds, timestamp: new Date().toISOString() })
    : `${signal} received: stopping (grace ${graceSeconds} s)`;
}
