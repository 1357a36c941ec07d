import path from 'node:path';
import { READY_MIN_FREE_BYTES } from '../pipeline/check-data-root.js';
import { availableBytes } from '../pipeline/available-bytes.js';
import { roomForMessage } from '../pipeline/mail/ensure-free-space.js';

export type DiskPressureLevel = 'ok' | 'warning' | 'refusing';

export interface DiskPressure {
  readonly freeBytes: number;
  readonly level: DiskPressureLevel;
  /** Below this, mail is refused or the instance reports itself not ready. */
  readonly refuseBelowBytes: number;
  readonly warnBelowBytes: number;
}

/** Where refusals start: the larger of the mail transports' check (SMTP 452, mailhandler 75) and the readiness check. */
export function refusalThresholdBytes(maxMessageBytes: number): number {
  return Math.max(roomForMessage(maxMessageBytes), READY_MIN_FREE_BYTES);
}

/** Free space under `dir` (nearest existing parent) and how close it is to refusing work. */
export async function measureDiskPressure(args: {
  readonly dir: string;
  readonly warnFreeBytes: number;
  readonly maxMessageBytes: number;
}): Promise<DiskPressure> {
  const freeBytes = await availableBytes(path.resolve(args.dir));
  const refuseBelowBytes = refusalThresholdBytes(args.maxMessageBytes);
  // A warning threshold set below the refusal one would never warn first: warn from the refusal one up.
  const warnBelowBytes = Math.max(args.warnFreeBytes, refuseBelowBytes);
  const level: DiskPressureLevel = freeBytes < refuseBelowBytes ? 'refusing' : freeBytes < warnBelowBytes ? 'warning' : 'ok';
  return { freeBytes, level, refuseBelowBytes, warnBelowBytes };
}
