import assert from 'node:assert/strict';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { Database } from '../../../../src/db/database-schema.js';
import { column, createStageTable, type StageTable } from '../../../../src/modules/hydrastor/veritas2hview/copy-columns.js';
import { copyFromStdin } from '../../../../src/modules/hydrastor/veritas2hview/copy-from-stdin.js';
import { copyInRounds } from '../../../../src/modules/hydrastor/veritas2hview/copy-stage-rounds.js';
import { createTestDatabase, type TestDatabase } from '../../../support/test-database.js';

interface Item {
  readonly id: number;
  readonly label: string | null;
}

const ITEM_STAGE: StageTable<Item> = {
  name: 'test_stage_items',
  columns: [column.bigint('id', (item) => item.id), column.text('label', (item) => item.label)],
};

describe('copyFromStdin and copyInRounds (real PostgreSQL)', () => {
  let database: TestDatabase;
  let db: Kysely<Database>;

  before(async () => {
    database = await createTestDatabase();
    // One connection: proves the COPY runs on the transaction's own client and leaves it usable.
    db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: database.url, max: 1 }) }) });
    await sql`CREATE TABLE test_items (id bigint PRIMARY KEY, label text, round integer)`.execute(db);
  });
  after(async () => {
    await db?.destroy();
    await database?.drop();
  });
  beforeEach(async () => {
    await sql`TRUNCATE test_items`.execute(db);
  });

  async function itemCount(): Promise<number> {
    const result = await sql<{ count: string }>`SELECT count(*) FROM test_items`.execute(db);
    return Number(result.rows[0]?.count);
  }

  it('copies into a temporary table of the same session and commits with the transaction', async () => {
    const seen = await db.transaction().execute(async (trx) => {
      await sql`CREATE TEMPORARY TABLE copied (id bigint, label text) ON COMMIT DROP`.execute(trx);
      const rows = await copyFromStdin(trx, { statement: 'COPY copied (id, label) FROM STDIN', source: ['1\tone\n2\t\\N\n', Buffer.from('3\ttab\\there\n')] });
      assert.equal(rows, 3);
      await sql`INSERT INTO test_items (id, label) SELECT id, label FROM copied`.execute(trx);
      const labels = await sql<{ label: string | null }>`SELECT label FROM copied ORDER BY id`.execute(trx);
      return labels.rows.map((row) => row.label);
    });
    assert.deepEqual(seen, ['one', null, 'tab\there']);
    assert.equal(await itemCount(), 3);
  });

  it('rolls the copied rows back with the transaction', async () => {
    await assert.rejects(
      db.transaction().execute(async (trx) => {
        await copyFromStdin(trx, { statement: 'COPY test_items (id, label) FROM STDIN', source: ['1\ta\n2\tb\n'] });
        throw new Error('later failure');
      }),
      /later failure/,
    );
    assert.equal(await itemCount(), 0);
  });

  it('fails on bad data with the database error and leaves the connection usable', async () => {
    await assert.rejects(
      db.transaction().execute(async (trx) => copyFromStdin(trx, { statement: 'COPY test_items (id, label) FROM STDIN', source: ['1\ta\nnot-a-number\tb\n'] })),
      (error: Error & { code?: string }) => error.code === '22P02',
    );
    assert.equal(await itemCount(), 0);
  });

  it('sends CopyFail when the source fails, so nothing is kept', async () => {
    async function* failing(): AsyncGenerator<string> {
      yield '1\ta\n';
      throw new Error('archive corrupt');
    }
    await assert.rejects(
      db.transaction().execute(async (trx) => copyFromStdin(trx, { statement: 'COPY test_items (id, label) FROM STDIN', source: failing() })),
      /archive corrupt/,
    );
    assert.equal(await itemCount(), 0);
  });

  describe('copyInRounds', () => {
    async function load(batches: Item[][], options: { readonly roundRows?: number; readonly signal?: AbortSignal } = {}) {
      return db.transaction().execute(async (trx) => {
        await createStageTable(trx, ITEM_STAGE);
        let round = 0;
        const result = await copyInRounds({
          trx,
          stage: ITEM_STAGE,
          batches: (async function* () {
            yield* batches;
          })(),
          keyOf: (item) => item.id,
          merge: async () => {
            round += 1;
            const merged = await sql<{ written: number }>`
              WITH written AS (
                INSERT INTO test_items (id, label, round) SELECT id, label, ${round} FROM test_stage_items
                ON CONFLICT (id) DO UPDATE SET label = excluded.label, round = excluded.round RETURNING 1
              ) SELECT count(*)::integer AS written FROM written`.execute(trx);
            return merged.rows[0]?.written ?? 0;
          },
          signal: options.signal ?? new AbortController().signal,
          ...(options.roundRows === undefined ? {} : { roundRows: options.roundRows }),
        });
        return result;
      });
    }

    it('starts a new round at a repeated key, so the later record wins without error 21000', async () => {
      const result = await load([
        [
          { id: 1, label: 'first' },
          { id: 2, label: 'b' },
        ],
        [
          { id: 1, label: 'second' },
          { id: 3, label: 'c' },
        ],
      ]);
      assert.deepEqual(result, { rowsStaged: 4, rowsWritten: 4, rounds: 2 });
      const rows = await sql<{ id: string; label: string; round: number }>`SELECT id::text, label, round FROM test_items ORDER BY id`.execute(db);
      assert.deepEqual(rows.rows, [
        { id: '1', label: 'second', round: 2 },
        { id: '2', label: 'b', round: 1 },
        { id: '3', label: 'c', round: 2 },
      ]);
    });

    it('splits at the round size, across and inside batches', async () => {
      const items = Array.from({ length: 10 }, (_, index) => ({ id: index, label: `item ${index}` }));
      const result = await load([items.slice(0, 7), items.slice(7)], { roundRows: 4 });
      assert.deepEqual(result, { rowsStaged: 10, rowsWritten: 10, rounds: 3 });
      assert.equal(await itemCount(), 10);
    });

    it('stops between batches when aborted, with the abort reason, and keeps nothing', async () => {
      const controller = new AbortController();
      const reason = new Error('job cancelled');
      async function* batches(): AsyncGenerator<Item[]> {
        yield [{ id: 1, label: 'a' }];
        controller.abort(reason);
        yield [{ id: 2, label: 'b' }];
      }
      await assert.rejects(
        db.transaction().execute(async (trx) => {
          await createStageTable(trx, ITEM_STAGE);
          await copyInRounds({ trx, stage: ITEM_STAGE, batches: batches(), keyOf: (item) => item.id, merge: async () => 0, signal: controller.signal });
        }),
        (error) => error === reason,
      );
      assert.equal(await itemCount(), 0);
    });
  });
});
