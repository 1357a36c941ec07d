/**
 * What a numeric field must hold to fit its column. The parsers check it, so a value that does
 * not fit (a fraction where an integer belongs: real NetBackup output has some) is kept raw in
 * the row's extras with a parse issue, instead of being turned into null silently by the COPY
 * encoding (formats spec §3, "Also seen in real NetBackup output").
 */
export interface NumberKind {
  readonly description: string;
  readonly fits: (value: number) => boolean;
}

export const INT4: NumberKind = { description: 'an integer', fits: (value) => Number.isInteger(value) && value >= -2_147_483_648 && value <= 2_147_483_647 };
export const BIGINT: NumberKind = { description: 'an integer', fits: Number.isSafeInteger };
export const KIBIBYTES: NumberKind = { description: 'a whole, non-negative number of KiB', fits: (value) => Number.isSafeInteger(value) && value >= 0 };
export const NUMERIC: NumberKind = { description: 'a number', fits: Number.isFinite };
/** Years 1–9999, what the timestamp columns take. */
export const EPOCH: NumberKind = { description: 'a time in epoch seconds', fits: (value) => value >= -62_135_596_800 && value <= 253_402_300_799 };

/** A decimal number as NetBackup prints it; `Number` alone would also take `0x1f`, `1e3` or `Infinity`. */
export const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$/;

/**
 * NetBackup's "never expires": the largest 32-bit time. Stored as PostgreSQL's `infinity`, not as
 * 2038-01-19 (formats spec §3).
 */
export const NETBACKUP_INFINITY_SECONDS = 2_147_483_647;
/** The largest time a JavaScript Date holds: how the parsers pass "infinity" on (copy-text writes `Infinity`). */
export const INFINITE_DATE_MS = 8.64e15;
