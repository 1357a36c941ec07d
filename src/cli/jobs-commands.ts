import { InvalidArgumentError, type Command } from 'commander';
import { exitsWith } from './exit-codes.js';
import type { JobsListOptions, JobsTailOptions } from './jobs-actions.js';

/** The implementations load the database and pipeline code: only when a jobs command runs. */
const actions = () => import('./jobs-actions.js');

/** `jobs list` answers at most this many; narrow the filter for older jobs. */
const MAX_LIST_LIMIT = 1000;
const DEFAULT_LIST_LIMIT = 50;
/** `jobs tail` polls no faster than this: the feed query is cheap, but not free. */
const MIN_TAIL_INTERVAL_MS = 100;
const DEFAULT_TAIL_INTERVAL_MS = 1000;

function integerBetween(min: number, max: number): (value: string) => number {
  return (value) => {
    if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) throw new InvalidArgumentError(`give a whole number from ${min} to ${max}`);
    return Number(value);
  };
}

/** `jobs list|show|retry|cancel|replay|tail`: the jobs API for use inside the container (admin scope). */
export function addJobsCommands(program: Command): void {
  const jobs = program
    .command('jobs')
    .description('list, show, retry, cancel, replay or follow jobs (every customer: the CLI has admin scope)')
    .addHelpText(
      'after',
      `
Examples:
  $ dataprocessor jobs list --status failed
  $ dataprocessor jobs show 3f0e2b9c-1d4a-4c6e-8f7b-2a9d0c1e5b6f
  $ dataprocessor jobs tail --customer bobs_burgers`,
    );

  jobs
    .command('list')
    .description('list jobs, newest first')
    .option('--customer <slug>', 'only this customer')
    .option('--status <status>', 'only these statuses, comma-separated (queued, running, succeeded, failed, cancelled, timed_out, unclassified, held)')
    .option('--type <type>', 'only this module: category/type (hydrastor/alert) or a type alone')
    .option('--limit <n>', `at most this many (1 to ${MAX_LIST_LIMIT})`, integerBetween(1, MAX_LIST_LIMIT), DEFAULT_LIST_LIMIT)
    .option('--json', 'one JSON line per job (as in GET /api/1.0/jobs) instead of a table')
    .addHelpText(
      'after',
      `
Examples:
  $ dataprocessor jobs list
  $ dataprocessor jobs list --customer bobs_burgers --status failed,timed_out --limit 10
  $ dataprocessor jobs list --type hydrastor/veritas2hview --json | jq -r .id`,
    )
    .action(exitsWith(async (options: JobsListOptions) => (await actions()).runJobsList(options)));

  jobs
    .command('show')
    .description('one job with its timeline, files, progress and error (the JSON of GET /api/1.0/jobs/:id)')
    .argument('<id>', 'the job id')
    .addHelpText(
      'after',
      `
Example:
  $ dataprocessor jobs show 3f0e2b9c-1d4a-4c6e-8f7b-2a9d0c1e5b6f | jq .events`,
    )
    .action(exitsWith(async (id: string) => (await actions()).runJobsShow(id)));

  jobs
    .command('retry')
    .description('send a failed, timed-out or cancelled job back to the queue, attempts reset')
    .argument('<id>', 'the job id')
    .addHelpText(
      'after',
      `
Prints {"job"} as POST /jobs/:id/retry answers; exit 1 when the job's status does not allow it.

Example:
  $ dataprocessor jobs list --status failed --json | jq -r .id | xargs -n1 dataprocessor jobs retry`,
    )
    .action(exitsWith(async (id: string) => (await actions()).runJobsRetry(id)));

  jobs
    .command('cancel')
    .description('cancel a job: a queued, unclassified or held one at once, a running one at its next checkpoint')
    .argument('<id>', 'the job id')
    .addHelpText(
      'after',
      `
Prints {"job","cancelRequested"}; exit 1 when the job has ended already.

Example:
  $ dataprocessor jobs cancel 3f0e2b9c-1d4a-4c6e-8f7b-2a9d0c1e5b6f`,
    )
    .action(exitsWith(async (id: string) => (await actions()).runJobsCancel(id)));

  jobs
    .command('replay')
    .description('run the modules again on the originals of a finished job, as a new job')
    .argument('<id>', 'the job id (succeeded, failed, cancelled, timed_out, unclassified or held)')
    .addHelpText(
      'after',
      `
Prints {"matched","batch","replayed","skipped"} as POST /jobs/replay answers; exit 1 when nothing
was replayed (the job is still queued or running, or its originals are gone). A running service
runs the new job.

Example:
  $ dataprocessor jobs replay 3f0e2b9c-1d4a-4c6e-8f7b-2a9d0c1e5b6f`,
    )
    .action(exitsWith(async (id: string) => (await actions()).runJobsReplay(id)));

  jobs
    .command('tail')
    .description('follow new jobs and status changes as JSON lines, until SIGINT or SIGTERM (then exit 0)')
    .option('--customer <slug>', 'only this customer')
    .option(
      '--interval <ms>',
      `how often to look (at least ${MIN_TAIL_INTERVAL_MS})`,
      integerBetween(MIN_TAIL_INTERVAL_MS, 3_600_000),
      DEFAULT_TAIL_INTERVAL_MS,
    )
    .addHelpText(
      'after',
      `
Each line: {"at","jobId","event","status","message","customer","source","category","type","group"}.

Examples:
  $ dataprocessor jobs tail
  $ dataprocessor jobs tail --customer bobs_burgers --interval 250 | jq -c 'select(.status == "failed")'`,
    )
    .action(exitsWith(async (options: JobsTailOptions) => (await actions()).runJobsTail(options)));
}
