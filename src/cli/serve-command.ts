import type { Command } from 'commander';
import { EXIT_OK, exitsWith } from './exit-codes.js';

/** `serve`: the service itself, until SIGTERM or SIGINT. */
export function addServeCommand(program: Command): void {
  program
    .command('serve')
    .description('run the service (HTTP API, workers, SMTP and S3 listeners) until SIGTERM or SIGINT')
    .addHelpText(
      'after',
      `
Applies pending migrations, prints where it listens and, on the very first start, an admin API key
(shown only once). Stops gracefully on SIGTERM/SIGINT within shutdown.graceSeconds.

Examples:
  $ dataprocessor serve
  $ DATABASE_URL=postgres://dp@db/dp DP_DATA_ROOT=/var/lib/hview dataprocessor serve`,
    )
    .action(exitsWith(serve));
}

async function serve(): Promise<number> {
  const { loadConfig } = await import('../config/load-config.js');
  const config = loadConfig();
  // Lazily: only this command (and the pipeline commands) load the transports.
  const { startService } = await import('../main.js');
  const service = await startService({ config });
  process.stdout.write(`DataProcessor listening: HTTP ${service.httpUrl} (API under ${service.httpUrl}/api/1.0, health ${service.httpUrl}/healthz)\n`);
  const smtp = service.smtpAddress;
  process.stdout.write(
    smtp === null
      ? 'SMTP: disabled (smtp.enabled is false)\n'
      : `SMTP: listening on ${smtp.host.includes(':') ? `[${smtp.host}]` : smtp.host}:${smtp.port} (ingest domains: ${config.smtp.ingestDomains.join(', ') || 'none'})\n`,
  );
  process.stdout.write(`data root ${config.dataRoot}, logs ${config.logDir}, database ${service.database.embedded ? 'embedded PostgreSQL' : 'DATABASE_URL'}\n`);
  if (service.generatedAdminKey !== null) {
    process.stdout.write(
      `\nFirst start: an admin API key was generated. It is shown only this once; only its hash is stored:\n  X-Api-Key: ${service.generatedAdminKey}\n\n`,
    );
  }
  await new Promise<void>((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      process.stdout.write(`${signal} received: stopping (grace ${config.shutdown.graceSeconds} s)\n`);
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      resolve();
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
  await service.stop();
  return EXIT_OK;
}
