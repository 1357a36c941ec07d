import { pipeline } from 'node:stream/promises';
import { CompiledQuery, type Transaction } from 'kysely';
import { from as copyFrom } from 'pg-copy-streams';
import type { Database } from '../../../db/database-schema.js';

/** What a COPY reads: text chunks (each a whole number of rows, though COPY does not require it). */
export type CopySource = AsyncIterable<string | Buffer> | Iterable<string | Buffer>;

/**
 * Runs `COPY … FROM STDIN` on the transaction's own connection, so the rows commit or roll back
 * with the job. Resolves with the number of rows PostgreSQL reports once the COPY has completed.
 *
 * Kysely 0.28 keeps the pg client private (`PostgresConnection.#client`), and neither `sql` nor
 * `CompiledQuery` can run COPY's sub-protocol. But its PostgresConnection hands the compiled
 * query's `sql` straight to `pg.Client.query(sql, parameters)`, and pg accepts any *Submittable*
 * there (an object with `submit(connection)`: how pg-cursor and pg-copy-streams plug in). So the
 * pg-copy-streams query object travels in place of the SQL text: pg queues it on the
 * transaction's client and returns it at once; kysely's `executeQuery` then resolves with an
 * empty result while the COPY waits for our data. Nothing else runs on the connection meanwhile,
 * because this function awaits the whole COPY before returning. On a source error the stream
 * sends CopyFail, PostgreSQL aborts the transaction and the caller's rollback follows.
 *
 * Relies on: kysely's PostgresDialect without query logging of `sql` (a `log` option would print
 * "[object Object]", harmless) and without a plugin rewriting results. Tested in
 * copy-from-stdin.test.ts (same session: a temporary table; rollback: nothing left).
 */
export async function copyFromStdin(trx: Transaction<Database>, args: { readonly statement: string; readonly source: CopySource }): Promise<number> {
  const stream = copyFrom(args.statement);
  const carrier = CompiledQuery.raw(args.statement);
  await trx.executeQuery({ ...carrier, sql: stream as unknown as string });
  await pipeline(toAsyncIterable(args.source), stream);
  return stream.rowCount;
}

async function* toAsyncIterable(source: CopySource): AsyncGenerator<string | Buffer, void, undefined> {
  for await (const chunk of source) {
    if (chunk.length > 0) yield chunk;
  }
}
