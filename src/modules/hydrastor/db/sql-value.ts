import { sql, type RawBuilder } from 'kysely';
import { storableText } from '../../storable-text.js';

/** The PostgreSQL types the HYDRAstor tables use; each parameter is cast so that multi-row VALUES stay typed. */
export type SqlType = 'text' | 'integer' | 'bigint' | 'numeric' | 'timestamptz' | 'jsonb' | 'uuid';

export interface ColumnSpec {
  /** A constant from the module's own code, never input: it is spliced into the SQL. */
  readonly name: string;
  readonly type: SqlType;
}

export type SqlValue = string | number | bigint | Date | null | Readonly<Record<string, string>>;

/** PostgreSQL text and jsonb refuse NUL (22021); a hostile CSV must not fail the job for it. */
function toParameter(value: SqlValue, type: SqlType): string | number | null {
  if (value === null) return null;
  if (typeof value === 'string') return storableText(value);
  if (typeof value === 'number') return value;
  // bigint travels as its decimal text: exact, whatever the driver does with BigInt.
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Date) return value.toISOString();
  if (type !== 'jsonb') throw new TypeError(`an object can only be stored in a jsonb column, not ${type}`);
  const cleaned: Record<string, string> = {};
  for (const [key, text] of Object.entries(value)) cleaned[storableText(key)] = storableText(text);
  return JSON.stringify(cleaned);
}

/** `$n::type` for one value. */
export function typedValue(value: SqlValue, type: SqlType): RawBuilder<unknown> {
  return sql`${toParameter(value, type)}::${sql.raw(type)}`;
}

/** A column list `(a, b, c)` from constant names. */
export function columnList(names: readonly string[]): RawBuilder<unknown> {
  return sql.raw(`(${names.join(', ')})`);
}

/** One `(v1::t1, v2::t2, …)` row per record, in `columns` order. */
export function valueRows(args: {
  readonly columns: readonly ColumnSpec[];
  readonly rows: readonly Readonly<Record<string, SqlValue>>[];
}): RawBuilder<unknown> {
  return sql.join(args.rows.map((row) => sql`(${sql.join(args.columns.map((column) => typedValue(row[column.name] ?? null, column.type)))})`));
}
