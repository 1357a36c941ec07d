import type { Command } from 'commander';
import { exitsWith } from './exit-codes.js';
import type { IngestOptions } from './run-ingest.js';

/** `ingest <file>`: a local file through the pipeline's door, as if it had arrived. */
export function addIngestCommand(program: Command): void {
  program
    .command('ingest')
    .description('run a local file through the pipeline (a .eml file is split like a delivered mail)')
    .argument('<file>', 'the file to ingest')
    .requiredOption('--customer <slug>', 'the customer it belongs to')
    .option('--type <category/type>', 'the module to run (skips classification), e.g. hydrastor/veritas2hview')
    .option('--group <group>', 'the group (e.g. the grid) when the module cannot tell')
    .option('--wait', 'run the job here to its end, show progress on stderr, print the job (as GET /jobs/:id) and exit 0 only if it succeeded')
    .addHelpText(
      'after',
      `
Without --wait it prints {"id","status","duplicate","path"} and a running service picks the job up.
With --wait, progress goes to stderr: one line updated in place on a terminal, otherwise a line per
status or phase change; the job goes to stdout as JSON; exit 1 unless it succeeded.

Examples:
  $ dataprocessor ingest report.eml --customer bobs_burgers --wait
  $ dataprocessor ingest dump.tar.gz --customer bobs_burgers --type hydrastor/veritas2hview --group icecream_machine --wait`,
    )
    .action(exitsWith(async (file: string, options: IngestOptions) => (await import('./run-ingest.js')).runIngest(file, options)));
}
