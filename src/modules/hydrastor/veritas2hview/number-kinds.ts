/**
 * What a numeric field must hold to fit its column. The parsers check it, so a value that does
 * not fit (a fraction where an integer belongs: real NetBackup output has some) is kept raw in
 * the row's extras with a parse issue, instead of being turned into null silently by the COPY
 * encoding (formats spec §3, "Also seen in real NetBackup output").
 */
export interface NumberKind {
  readonly description: string;
  readonly fits: (value: number) => boolean;
  /**
   * A whole number (what a parser read digit by digit) fits when it lies in [min, max]: the same
   * answer as `fits`, without the call, for the parsers' hot path.
   */
  readonly wholeOnly: boolean;
  readonly min: number;
  readonly max: number;
}

function kind(description: string, min: number, max: number, wholeOnly: boolean): NumberKind {
  return { description, min, max, wholeOnly, fits: (value) => (!wholeOnly || Number.isInteger(value)) && value >= min && value <= max };
}

export const INT4 = kind('an integer', -2_147_483_648, 2_147_483_647, true);
export const BIGINT = kind('an integer', Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, true);
export const KIBIBYTES = kind('a whole, non-negative number of KiB', 0, Number.MAX_SAFE_INTEGER, true);
export const NUMERIC = kind('a number', -Number.MAX_VALUE, Number.MAX_VALUE, false);
/** Years 1–9999, what the timestamp columns take (seconds; fractions allowed). */
export const EPOCH = kind('a time in epoch seconds', -62_135_596_800, 253_402_300_799, false);

/** A decimal number as NetBackup prints it; `Number` alone would also take `0x1f`, `1e3` or `Infinity`. */
export const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$/;

/**
 * NetBackup's "never expires": the largest 32-bit time. Stored as PostgreSQL's `infinity`, not as
 * 2038-01-19 (formats spec §3).
 */
export const NETBACKUP_INFINITY_SECONDS = 2_147_483_647;
/** The largest time a JavaScript Date holds: how the parsers pass "infinity" on (copy-text writes `Infinity`). */
export const INFINITE_DATE_MS = 8.64e15;
