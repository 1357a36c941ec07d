/** Value conventions shared by the `nbdevquery` and `bpstulist` listings. */

const BYTES_PER_GIBIBYTE = 1n << 30n;
const DECIMAL_GIBIBYTES = /^(\d+)(?:\.(\d+))?$/;
const STATE_SUFFIX = /^(.*?)\s*\(([^()]*)\)$/;
const HYDRASTOR = 'hydrastor';

/**
 * NetBackup prints capacities as "GB" that are GiB, with two decimals (`19236.97`). Converted
 * exactly with bigint arithmetic (a float would be off by bytes at petabyte sizes); the fraction
 * is rounded to the nearest byte. Null when the value is not a plain decimal number.
 */
export function gibibytesToBytes(value: string | null): bigint | null {
  if (value === null) return null;
  const match = DECIMAL_GIBIBYTES.exec(value.trim());
  if (match === null) return null;
  const whole = BigInt(match[1] as string) * BYTES_PER_GIBIBYTE;
  const fraction = match[2];
  if (fraction === undefined) return whole;
  const scale = 10n ** BigInt(fraction.length);
  return whole + (BigInt(fraction) * BYTES_PER_GIBIBYTE * 2n + scale) / (2n * scale);
}

export interface NameWithState {
  readonly name: string;
  /** The parenthesised state NetBackup appends (`UP`, `DOWN`), or null when there is none. */
  readonly state: string | null;
}

/** `icecream-machine-an.acme.local (UP)` → name and state. */
export function splitStateSuffix(value: string): NameWithState {
  const match = STATE_SUFFIX.exec(value.trim());
  if (match === null || (match[1] as string).length === 0) return { name: value.trim(), state: null };
  const state = (match[2] as string).trim();
  return { name: match[1] as string, state: state.length > 0 ? state : null };
}

/**
 * Whether a `Storage Server Type` or `Disk Type` names HYDRAstor. Case-insensitive and tolerant
 * of vendor prefixes (`NEC_HYDRAstor`), since the type string comes from the OST plug-in.
 */
export function isHydrastorType(type: string | null): boolean {
  return type !== null && type.toLowerCase().includes(HYDRASTOR);
}

/** `yes`/`no`, `true`/`false`, `1`/`0`; null for anything else. */
export function yesNo(value: string | null): boolean | null {
  switch (value?.trim().toLowerCase()) {
    case 'yes':
    case 'true':
    case '1':
      return true;
    case 'no':
    case 'false':
    case '0':
      return false;
    default:
      return null;
  }
}

/** Host names compare case-insensitively (DNS); NetBackup prints them as configured. */
export function hostKey(host: string): string {
  return host.trim().toLowerCase();
}
