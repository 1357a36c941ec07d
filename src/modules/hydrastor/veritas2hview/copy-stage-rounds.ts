import type { Transaction } from 'kysely';
import type { Database } from '../../../db/database-schema.js';
import { copyStatementFor, encodeCopyRow, truncateStageTable, type StageTable } from './copy-columns.js';
import { copyFromStdin } from './copy-from-stdin.js';

/**
 * Rows staged per round. A round waits as COPY bytes while it is prepared (about 360 bytes per
 * job: 7 MB), with the Set of its keys; the round being loaded and the next one being prepared
 * are the module's largest memory. 20,000 to 100,000 rows load 1,000,000 jobs equally fast on a
 * 2-core machine (a statement's fixed cost is spread thin already), so the smallest wins.
 */
export const DEFAULT_ROUND_ROWS = 20_000;

export interface CopyInRoundsArgs<Row> {
  readonly trx: Transaction<Database>;
  /** Created (empty) by the caller. */
  readonly stage: StageTable<Row>;
  readonly batches: AsyncIterable<readonly Row[]>;
  /** The row's identity in the target table (within the export's master server). */
  readonly keyOf: (row: Row) => string | number;
  /** Merges the staged rows into the target table; returns the rows inserted or changed. */
  readonly merge: () => Promise<number>;
  readonly signal: AbortSignal;
  readonly roundRows?: number;
}

export interface CopyInRoundsResult {
  readonly rowsStaged: number;
  readonly rowsWritten: number;
  readonly rounds: number;
}

interface PreparedRound {
  readonly chunks: Buffer[];
  readonly rows: number;
}

/**
 * Loads rows round after round: COPY up to `roundRows` rows into the staging table, merge them
 * with one INSERT … SELECT … ON CONFLICT, empty the table, go on.
 *
 * The next round is parsed and encoded while the database copies and merges the current one, so
 * parsing (JavaScript, one core) and loading (PostgreSQL, the other core) overlap instead of
 * taking turns.
 *
 * A round ends early when a key repeats: one `ON CONFLICT DO UPDATE` statement may not touch a
 * row twice (21000), and keeping each round free of repeats costs only the Set of its keys, while
 * de-duplicating a whole multi-million-row export would need memory or a sort proportional to it.
 * The repeat starts the next round, so a later record still wins by the merge's own rules.
 * The abort signal is checked between batches.
 */
export async function copyInRounds<Row>(args: CopyInRoundsArgs<Row>): Promise<CopyInRoundsResult> {
  const roundRows = args.roundRows ?? DEFAULT_ROUND_ROWS;
  const statement = copyStatementFor(args.stage);
  const iterator = args.batches[Symbol.asyncIterator]();
  let carried: readonly Row[] = [];
  let exhausted = false;

  const prepareRound = async (): Promise<PreparedRound> => {
    const keys = new Set<string | number>();
    const chunks: Buffer[] = [];
    let rows = 0;
    for (;;) {
      let batch = carried;
      carried = [];
      if (batch.length === 0) {
        if (exhausted) break;
        args.signal.throwIfAborted();
        const next = await iterator.next();
        if (next.done === true) {
          exhausted = true;
          break;
        }
        batch = next.value;
      }
      let text = '';
      let index = 0;
      for (; index < batch.length; index += 1) {
        const row = batch[index] as Row;
        const key = args.keyOf(row);
        if (rows >= roundRows || keys.has(key)) break;
        keys.add(key);
        rows += 1;
        text += encodeCopyRow(args.stage.columns, row);
      }
      // As bytes right away: a batch's text is a tree of some 60,000 string pieces until it is
      // flattened, and a round of such trees waiting in memory makes the garbage collector crawl.
      if (text.length > 0) chunks.push(Buffer.from(text, 'utf8'));
      if (index < batch.length) {
        carried = batch.slice(index);
        break;
      }
    }
    return { chunks, rows };
  };

  let rowsStaged = 0;
  let rowsWritten = 0;
  let rounds = 0;
  let next = prepareRound();
  try {
    for (;;) {
      const round = await next;
      if (round.rows === 0) break;
      next = prepareRound();
      // Awaited only after this round's load; until then a failure must not count as unhandled.
      next.catch(() => undefined);
      await copyFromStdin(args.trx, { statement, source: round.chunks });
      rowsWritten += await args.merge();
      await truncateStageTable(args.trx, args.stage);
      rounds += 1;
      rowsStaged += round.rows;
    }
  } finally {
    // A failed load leaves the next round half-prepared: let it settle, then close the parser
    // (and through it the archive entry).
    await next.catch(() => undefined);
    if (!exhausted) await iterator.return?.();
  }
  return { rowsStaged, rowsWritten, rounds };
}
