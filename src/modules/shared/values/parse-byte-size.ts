/**
 * Binary multiples, whatever the label says: HYDRAstor and NetBackup both print "GB" for GiB.
 * Keys are lower case.
 */
const BYTES_PER_UNIT: ReadonlyMap<string, bigint> = new Map([
  ['b', 1n],
  ['byte', 1n],
  ['bytes', 1n],
  ['k', 1n << 10n],
  ['kb', 1n << 10n],
  ['kib', 1n << 10n],
  ['m', 1n << 20n],
  ['mb', 1n << 20n],
  ['mib', 1n << 20n],
  ['g', 1n << 30n],
  ['gb', 1n << 30n],
  ['gib', 1n << 30n],
  ['t', 1n << 40n],
  ['tb', 1n << 40n],
  ['tib', 1n << 40n],
  ['p', 1n << 50n],
  ['pb', 1n << 50n],
  ['pib', 1n << 50n],
]);

export function isByteUnit(unit: string): boolean {
  return BYTES_PER_UNIT.has(unit.toLowerCase());
}

/** `1036800.00`, `1,036,800.5 GiB`, `12 GB`: digits with optional thousands commas, a fraction, a unit. */
const BYTE_SIZE = /^(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?\s*([a-z]+)?$/i;

/**
 * A size in bytes, exactly (no floating point: 1 PiB of GiB with two decimals stays exact), rounded
 * half up to a whole byte. A unit written in the text wins over `defaultUnit`. Null when the text
 * is not a size (negative, unknown unit, garbage).
 */
export function parseByteSize(text: string, defaultUnit = 'B'): bigint | null {
  const match = BYTE_SIZE.exec(text.trim());
  if (match === null) return null;
  const [, whole = '0', fraction = '', writtenUnit] = match;
  const multiplier = BYTES_PER_UNIT.get((writtenUnit ?? defaultUnit).toLowerCase());
  if (multiplier === undefined) return null;
  const scale = 10n ** BigInt(fraction.length);
  const scaled = BigInt(whole.replaceAll(',', '') + fraction) * multiplier;
  return (scaled * 2n + scale) / (scale * 2n);
}

/** Capacities in report bodies are GiB. */
export function gibToBytes(text: string): bigint | null {
  return parseByteSize(text, 'GiB');
}
