import { IngestError } from '../core/ingest-error.js';

const HEX_DIGITS = /^[0-9A-Fa-f]+$/;
const ZERO = 0x30;
const NINE = 0x39;
const LOWERCASE_BIT = 0x20;

/** True when `value` can be ordered by `compareSequencers` (a non-empty hex string). */
export function isSequencer(value: string): boolean {
  return HEX_DIGITS.test(value);
}

/**
 * Orders two S3 event sequencers for the same key: -1 when `a` is older, 1 when newer, 0 when equal.
 * Sequencers are hex strings whose lengths may differ; AWS says to right-pad the shorter one with
 * zeros before comparing, so `…E5` equals `…E500` and is older than `…E50A`. Digits compare
 * case-insensitively. Throws `SEQUENCER_INVALID` for anything that is not hex.
 */
export function compareSequencers(a: string, b: string): -1 | 0 | 1 {
  assertSequencer(a);
  assertSequencer(b);
  const length = Math.max(a.length, b.length);
  for (let index = 0; index < length; index += 1) {
    const left = hexDigitOrder(a, index);
    const right = hexDigitOrder(b, index);
    if (left !== right) return left < right ? -1 : 1;
  }
  return 0;
}

/** Digit value order for a position, with positions past the end read as the padding zero. */
function hexDigitOrder(sequencer: string, index: number): number {
  if (index >= sequencer.length) return ZERO;
  const code = sequencer.charCodeAt(index);
  // Folding letters to lowercase keeps '0'-'9' < 'a'-'f', the same order as the digit values.
  return code <= NINE ? code : code | LOWERCASE_BIT;
}

function assertSequencer(value: string): void {
  if (!isSequencer(value)) {
    throw new IngestError('SEQUENCER_INVALID', `sequencer ${JSON.stringify(value.slice(0, 64))} is not a hex string`);
  }
}
