import type { Command } from 'commander';
import { EXIT_FAILURE, EXIT_OK, EXIT_TEMPFAIL, exitsWith } from './exit-codes.js';

/** `purge`: the retention purge on request, the same task the service schedules (src/lifecycle/purge-task.ts). */
export function addPurgeCommand(program: Command): void {
  program
    .command('purge')
    .description('apply the retention windows now (one runner at a time across instances)')
    .option('--dry-run', 'list what would go, per customer and kind, with bytes; remove nothing')
    .option('--json', 'print the report as one JSON line instead of a table')
    .addHelpText(
      'after',
      `
Exits 75 while another instance is purging, 1 when the run failed.

Examples:
  $ dataprocessor purge --dry-run
  $ dataprocessor purge --json | jq .removed`,
    )
    .action(exitsWith(purge));
}

async function purge(options: { dryRun?: boolean; json?: boolean }): Promise<number> {
  const [{ loadConfig }, { withDatabase }, { PurgeTask }, { formatPurgeReport }, { settleNodeName }, { Logging }] = await Promise.all([
    import('../config/load-config.js'),
    import('./with-database.js'),
    import('../lifecycle/purge-task.js'),
    import('../lifecycle/format-purge-report.js'),
    import('../config/node-identity.js'),
    import('../logging/logging.js'),
  ]);
  const config = loadConfig();
  const nodeName = (await settleNodeName(config)).node.name;
  const logging = new Logging({ logDir: config.logDir, level: config.logLevel, console: false });
  try {
    return await withDatabase(config, async (db) => {
      const report = await new PurgeTask({ db, config, nodeName, logger: logging.for('retention') }).run({
        trigger: 'manual',
        dryRun: options.dryRun === true,
      });
      if (report === 'busy') {
        process.stderr.write('another instance is purging now; try again later\n');
        return EXIT_TEMPFAIL;
      }
      process.stdout.write(options.json === true ? `${JSON.stringify(report)}\n` : formatPurgeReport(report));
      return report.outcome === 'failed' ? EXIT_FAILURE : EXIT_OK;
    });
  } finally {
    await logging.close();
  }
}
