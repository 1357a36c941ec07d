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
  const { resolveConsoleFormat } = await import('../logging/console-format.js');
  const { startupLines, stoppingLine } = await import('./startup-lines.js');
  const format = resolveConsoleFormat(config.logFormat);
  const lines = startupLines(format, {
    httpUrl: service.httpUrl,
    smtp: service.smtpAddress,
    ingestDomains: config.smtp.ingestDomains,
    dataRoot: config.dataRoot,
    logDir: config.logDir,
    embeddedDatabase: service.database.embedded,
    generatedAdminKey: service.generatedAdminKey,
  });
  process.stdout.write(`${lines.join('\n')}\n`);
  await new Promise<void>((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      process.stdout.write(`${stoppingLine(format, signal, config.shutdown.graceSeconds)}\n`);
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
