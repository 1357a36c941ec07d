import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { sql, type Kysely } from 'kysely';
import type { ParseIssue } from '../../src/modules/parse-issue.js';
import { parseResult } from '../../src/modules/parse-result.js';
import type { IngestModule } from '../../src/modules/types.js';
import type { ErrorCode } from '../../src/core/error-codes.js';
import { IngestError } from '../../src/core/ingest-error.js';

/** The echo module's own codes, kept out of the product catalogue: job rows hold codes as plain text. */
const echoCode = (code: `ECHO_${string}`): ErrorCode => code as ErrorCode;

/**
 * A small module for pipeline tests (`test/echo`). Its one input file is JSON telling it what to
 * do: how many rows to write, how long to work, whether to fail.
 */
export interface EchoInstruction {
  readonly rows?: number;
  readonly sleepMs?: number;
  readonly failTransientTimes?: number;
  readonly failPermanent?: boolean;
  /** Where the permanent failure happens: in parse (default: nothing archived, no issues kept) or in upsert (after archiving; the parse issues stay with the job). */
  readonly failAt?: 'parse' | 'upsert';
  /** Message of the permanent failure (tests put hostile characters in it). */
  readonly failMessage?: string;
  readonly group?: string;
  readonly tag?: string;
  /** Parse issues to return with the records, one per line `1..n`. */
  readonly parseIssues?: number;
  /** The raw text of the first planned issue, in place of the default one. */
  readonly issueRaw?: string;
}

const transientFailures = new Map<string, number>();

export const echoModule = {
  category: 'test',
  type: 'echo',
  version: 1,
  matches: (facts) => facts.hints.subject?.startsWith('[echo]') === true,
  group: (facts) => facts.hints.group ?? 'default',
  async parse(context) {
    const file = context.files[0];
    if (file === undefined) throw new IngestError(echoCode('ECHO_NO_INPUT'), 'no input file');
    const instruction = JSON.parse(await readFile(path.join(context.workDir, file.name), 'utf8')) as EchoInstruction;
    const sleepUntil = Date.now() + (instruction.sleepMs ?? 0);
    while (Date.now() < sleepUntil) {
      if (context.signal.aborted) throw context.signal.reason as Error;
      context.reportProgress({ remainingMs: sleepUntil - Date.now() });
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const issues: ParseIssue[] = [];
    for (let n = 1; n <= (instruction.parseIssues ?? 0); n += 1) {
      issues.push({
        file: 'instruction.json',
        line: n,
        message: `planned issue ${n}`,
        raw: n === 1 ? (instruction.issueRaw ?? `raw\u0000${'x'.repeat(300)}`) : String(n),
      });
    }
    const failed = transientFailures.get(context.jobId) ?? 0;
    if (failed < (instruction.failTransientTimes ?? 0)) {
      transientFailures.set(context.jobId, failed + 1);
      throw new IngestError(echoCode('ECHO_TRANSIENT'), `planned transient failure ${failed + 1}`, { transient: true });
    }
    const failPermanent = instruction.failPermanent === true;
    if (failPermanent && instruction.failAt !== 'upsert') {
      throw new IngestError(echoCode('ECHO_BAD_INPUT'), instruction.failMessage ?? 'planned permanent failure', { expose: true });
    }
    return parseResult({ rows: instruction.rows ?? 1, sha: file.sha256, failPermanent, failMessage: instruction.failMessage }, issues);
  },
  async upsert(trx, { records }, context) {
    for (let n = 0; n < records.rows; n += 1) {
      await sql`INSERT INTO test_echo_rows (job_id, n, content_sha, pid) VALUES (${context.jobId}, ${n}, ${records.sha}, ${process.pid})`.execute(trx);
    }
    // With failAt 'upsert': fails after writing began, as real modules may: the rows roll back, the parse issues stay with the job.
    if (records.failPermanent) throw new IngestError(echoCode('ECHO_BAD_INPUT'), records.failMessage ?? 'planned permanent failure', { expose: true });
    return { test_echo_rows: records.rows };
  },
} satisfies IngestModule<EchoRecords>;

interface EchoRecords {
  readonly rows: number;
  readonly sha: string;
  readonly failPermanent: boolean;
  readonly failMessage: string | undefined;
}

/** The echo module's table; a real module brings its tables in a migration. */
export async function createEchoTable(db: Kysely<never> | Kysely<any>): Promise<void> {
  await sql`CREATE TABLE IF NOT EXISTS test_echo_rows (job_id uuid NOT NULL, n integer NOT NULL, content_sha text NOT NULL, pid integer NOT NULL)`.execute(db);
}

export function echoFile(instruction: EchoInstruction): string {
  return JSON.stringify(instruction);
}
