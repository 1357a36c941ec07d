import { errorCodeSpec } from '../../core/error-codes.js';

export interface ErrorHint {
  /** The catalogue's meaning (src/core/error-codes.ts); null for a module's own code. */
  readonly meaning: string | null;
  /** What an operator does next. */
  readonly todo: string;
}

/** Codes whose next step is not the generic one of their kind. */
const SPECIFIC: Readonly<Record<string, string>> = {
  JOB_TIMEOUT:
    "Look at why it ran long (a huge input, a slow database); raise the module's modules.<key>.timeoutSeconds if the input is simply large, then Retry.",
  LEASE_EXPIRED: 'Its worker stopped (a crash, out of memory, a restart) on the last attempt: Retry; if it happens again, read the worker log around the time.',
  CANCELLED: 'Nothing to do. If it was cancelled by mistake, Retry runs it again.',
  DISMISSED: 'Nothing to do. If it was dismissed by mistake, Replay runs its original again.',
  CUSTOMER_DISABLED: 'Enable the customer again (admin API or CLI) if its data should be taken, then Retry.',
  NO_ORIGINALS: 'The job has no staged files to run again: ask the sender to send it again.',
  ORIGINALS_MISSING: 'Its originals are no longer in inbox/ (retention, or moved by hand): ask the sender to send it again.',
  ORIGINALS_ON_OTHER_NODE: 'Retry or replay it on the node that staged it (see the job folder), or share the data root.',
};

/** The meaning of a job's error code and a hint of what to do, for the job page. */
export function errorHint(code: string, module: string): ErrorHint {
  const spec = errorCodeSpec(code);
  const specific = SPECIFIC[code];
  if (spec === undefined) {
    return {
      meaning: null,
      todo: `A code of the module ${module}: the message says what in the input it could not take. Fix the input at its source (or the module), then Replay or Retry.`,
    };
  }
  if (specific !== undefined) return { meaning: spec.meaning, todo: specific };
  return {
    meaning: spec.meaning,
    todo: spec.transient
      ? 'A passing fault: the worker retries by itself while attempts remain. Once the cause is gone (database, disk, S3 back), Retry.'
      : 'Permanent for this input: fix what the message names (the sent file, a setting, the module), then Retry or Replay.',
  };
}
