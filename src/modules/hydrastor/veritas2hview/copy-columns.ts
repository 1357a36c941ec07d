import { sql, type Transaction } from 'kysely';
import type { Database } from '../../../db/database-schema.js';
import {
  COPY_FIELD_SEPARATOR,
  COPY_ROW_END,
  copyBigint,
  copyBoolean,
  copyEpochSeconds,
  copyInteger,
  copyJson,
  copyNumeric,
  copyText,
  copyTextArray,
} from './copy-text.js';

export type StageColumnType = 'text' | 'integer' | 'smallint' | 'bigint' | 'numeric' | 'double precision' | 'boolean' | 'jsonb' | 'text[]';

/**
 * One column of a staging table: its name (the target table's, so a merge selects `s.<name>`),
 * its type and how a parsed value becomes COPY text. Names and types are constants of this
 * module, never input: they are spliced into SQL.
 */
export interface CopyColumn<Row> {
  readonly name: string;
  readonly type: StageColumnType;
  readonly encode: (row: Row) => string;
  /** Only staged (fed to the merge in another form), not a column of the target table. */
  readonly stageOnly?: boolean;
  /** The target value as SQL over the staged row `staged`, when it is not the staged value itself. */
  readonly mergeValue?: string;
}

/** Column builders, so a table's columns read as a list of `name ← value`. */
export const column = {
  text: <Row>(name: string, value: (row: Row) => string | null): CopyColumn<Row> => ({ name, type: 'text', encode: (row) => copyText(value(row)) }),
  integer: <Row>(name: string, value: (row: Row) => number | null): CopyColumn<Row> => ({ name, type: 'integer', encode: (row) => copyInteger(value(row)) }),
  bigint: <Row>(name: string, value: (row: Row) => number | bigint | null): CopyColumn<Row> => ({
    name,
    type: 'bigint',
    encode: (row) => copyBigint(value(row)),
  }),
  numeric: <Row>(name: string, value: (row: Row) => number | null): CopyColumn<Row> => ({ name, type: 'numeric', encode: (row) => copyNumeric(value(row)) }),
  boolean: <Row>(name: string, value: (row: Row) => boolean | null): CopyColumn<Row> => ({ name, type: 'boolean', encode: (row) => copyBoolean(value(row)) }),
  /** A timestamptz target column staged as epoch seconds (cheaper to write than ISO text). */
  epochTimestamp: <Row>(name: string, value: (row: Row) => Date | null): CopyColumn<Row> => ({
    name,
    type: 'double precision',
    encode: (row) => copyEpochSeconds(value(row)),
    mergeValue: `to_timestamp(staged.${name})`,
  }),
  json: <Row>(name: string, value: (row: Row) => unknown): CopyColumn<Row> => ({ name, type: 'jsonb', encode: (row) => copyJson(value(row)) }),
  textArray: <Row>(name: string, value: (row: Row) => readonly string[]): CopyColumn<Row> => ({
    name,
    type: 'text[]',
    encode: (row) => copyTextArray(value(row)),
  }),
};

/** A temporary table that one COPY fills and one merge reads, dropped with the transaction. */
export interface StageTable<Row> {
  readonly name: string;
  readonly columns: readonly CopyColumn<Row>[];
}

export async function createStageTable(trx: Transaction<Database>, stage: StageTable<never>): Promise<void> {
  const definitions = stage.columns.map((stageColumn) => `${stageColumn.name} ${stageColumn.type}`).join(', ');
  await sql.raw(`CREATE TEMPORARY TABLE ${stage.name} (${definitions}) ON COMMIT DROP`).execute(trx);
}

/** Empties the table for the next round; in place, since it was created in this transaction. */
export async function truncateStageTable(trx: Transaction<Database>, stage: StageTable<never>): Promise<void> {
  await sql.raw(`TRUNCATE ${stage.name}`).execute(trx);
}

export function copyStatementFor(stage: StageTable<never>): string {
  return `COPY ${stage.name} (${stage.columns.map((stageColumn) => stageColumn.name).join(', ')}) FROM STDIN`;
}

/** One row of COPY text, line end included. */
export function encodeCopyRow<Row>(columns: readonly CopyColumn<Row>[], row: Row): string {
  let line = '';
  for (let index = 0; index < columns.length; index += 1) {
    if (index > 0) line += COPY_FIELD_SEPARATOR;
    line += (columns[index] as CopyColumn<Row>).encode(row);
  }
  return line + COPY_ROW_END;
}

/** The columns the target table has (staged-only ones left out), with the SQL that gives each its value. */
export function targetColumns(stage: StageTable<never>): { readonly name: string; readonly value: string }[] {
  return stage.columns
    .filter((stageColumn) => stageColumn.stageOnly !== true)
    .map((stageColumn) => ({ name: stageColumn.name, value: stageColumn.mergeValue ?? `staged.${stageColumn.name}` }));
}
