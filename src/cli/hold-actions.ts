import { loadConfig } from '../config/load-config.js';
import { addHold, listHolds, releaseHold } from '../db/holds-repository.js';
import { holdView } from '../http/admin/admin-views.js';
import { EXIT_OK } from './exit-codes.js';
import { UsageError } from './usage-error.js';
import { withDatabase } from './with-database.js';

/** Who placed or released a hold, in its record and the jobs' timelines. */
const CLI_ACTOR = 'cli';

export interface HoldOptions {
  readonly customer?: string;
  readonly category?: string;
  readonly type?: string;
  readonly group?: string;
  readonly reason?: string;
}

function print(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export async function runHold(options: HoldOptions): Promise<number> {
  const { customer, category, type, group } = options;
  if ([customer, category, type, group].every((value) => value === undefined)) {
    throw new UsageError('hold needs at least one of --customer, --category, --type, --group');
  }
  return withDatabase(loadConfig(), async (db) => {
    const { hold, heldJobs } = await addHold(db, { customer, category, type, group, reason: options.reason ?? '', createdBy: CLI_ACTOR });
    print(holdView(hold, heldJobs));
    return EXIT_OK;
  });
}

export async function runHoldList(): Promise<number> {
  return withDatabase(loadConfig(), async (db) => {
    print({ holds: (await listHolds(db)).map(({ hold, heldJobs }) => holdView(hold, heldJobs)) });
    return EXIT_OK;
  });
}

export async function runRelease(id: string): Promise<number> {
  return withDatabase(loadConfig(), async (db) => {
    const result = await releaseHold(db, { id, releasedBy: CLI_ACTOR });
    if (result === undefined) throw new UsageError(`no hold ${id}`);
    print({ ...holdView(result.hold, 0), released: result.released });
    return EXIT_OK;
  });
}
