import { parseArgs } from 'node:util';

/** Everything a chaos run is made of; `short` and `full` are two presets of it. */
export interface ChaosOptions {
  readonly mode: 'short' | 'full';
  readonly seed: number;
  /** kill -9 of the service, alternating one process / its whole process group. */
  readonly kills: number;
  /** How long the service runs (after it listens) before a kill, seconds: uniform in [min, max]. */
  readonly uptimeSeconds: readonly [number, number];
  /** New mails per second, spread over `sessions` SMTP sessions (retries come on top). */
  readonly mailRate: number;
  readonly sessions: number;
  /** The run keeps sending (without faults) until at least this many mails got their 250. */
  readonly minMails: number;
  /** Parallel upload loops, and their pause between two uploads (ms). */
  readonly uploadLoops: number;
  readonly uploadPauseMs: number;
  readonly minUploads: number;
  /** The harness's PostgreSQL is stopped this long. */
  readonly outageSeconds: number;
  /** Disk-full phase: free space under the SMTP gate, then 0 bytes free, each this long. */
  readonly lowSpaceSeconds: number;
  readonly fullSpaceSeconds: number;
  /** Size of the tmpfs that holds the data root, MiB. */
  readonly tmpfsMiB: number;
  /** Bound on the final wait for every job to end, and on waiting for each fault's backlog. */
  readonly settleSeconds: number;
  /** Before the final restart: how long the service gets to clear its backlog by itself. */
  readonly selfHealSeconds: number;
  /** Keep the work folder (logs, data root) instead of removing it. */
  readonly keep: boolean;
  /** Skip the tmpfs (and so the disk-full phase) even when mounting would work. */
  readonly noTmpfs: boolean;
}

export const USAGE = `npm run chaos [-- options]   chaos benchmark of DataProcessor (issue #11)

Starts its own embedded PostgreSQL and the real service (bin/dataprocessor.js serve) in its own
process group, sends mails over SMTP and uploads over HTTP while it kill -9s the service, stops
PostgreSQL and fills the disk; then checks every acknowledged Message-ID and upload in the
database: 0 lost, 0 stranded, 0 duplicated. Exit code 1 when any check fails.

  --full              the long run: 24 kill -9, >= 1,500 mails, 60 s PostgreSQL outage, disk full
                      (default: the short run, a few minutes, every fault kind once or more)
  --seed N            random seed (kill moments); printed, so a run can be repeated
  --kills N           number of kill -9 (default short 6, full 24)
  --mails N           at least N acknowledged mails (default short 300, full 1500)
  --rate N            new mails per second (default 8)
  --outage S          PostgreSQL outage in seconds (default short 15, full 60)
  --no-tmpfs          do not mount a tmpfs for the data root (skips the disk-full phase)
  --keep              keep the work folder (service output, logs, data root) for inspection
  --help              this text

Needs root to mount the tmpfs (otherwise the disk-full phase is skipped, with the reason).
Results: a table on stdout and bench/out/chaos-<time>.json. See docs/reliability.md.`;

const PRESETS: Record<ChaosOptions['mode'], Omit<ChaosOptions, 'mode' | 'seed' | 'keep' | 'noTmpfs'>> = {
  short: {
    kills: 6,
    uptimeSeconds: [4, 10],
    mailRate: 8,
    sessions: 4,
    minMails: 300,
    uploadLoops: 1,
    uploadPauseMs: 1000,
    minUploads: 10,
    outageSeconds: 15,
    lowSpaceSeconds: 6,
    fullSpaceSeconds: 5,
    tmpfsMiB: 320,
    settleSeconds: 300,
    selfHealSeconds: 120,
  },
  full: {
    kills: 24,
    uptimeSeconds: [5, 15],
    mailRate: 8,
    sessions: 6,
    minMails: 1500,
    uploadLoops: 2,
    uploadPauseMs: 1000,
    minUploads: 60,
    outageSeconds: 60,
    lowSpaceSeconds: 20,
    fullSpaceSeconds: 15,
    tmpfsMiB: 512,
    settleSeconds: 900,
    selfHealSeconds: 180,
  },
};

/** Parses the command line; `null` means --help was asked for (print USAGE, exit 0). */
export function parseChaosOptions(argv: readonly string[]): ChaosOptions | null {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      full: { type: 'boolean', default: false },
      seed: { type: 'string' },
      kills: { type: 'string' },
      mails: { type: 'string' },
      rate: { type: 'string' },
      outage: { type: 'string' },
      'no-tmpfs': { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) return null;
  const mode = values.full ? 'full' : 'short';
  const preset = PRESETS[mode];
  const number = (name: string, value: string | undefined, fallback: number, min: number): number => {
    if (value === undefined) return fallback;
    const parsed = Number(value);
    if (!Number.isFinite(parsed) || parsed < min) throw new Error(`--${name} must be a number >= ${min}, got "${value}"`);
    return parsed;
  };
  return {
    ...preset,
    mode,
    seed: number('seed', values.seed, Math.floor(Math.random() * 2 ** 31), 0),
    kills: number('kills', values.kills, preset.kills, 0),
    minMails: number('mails', values.mails, preset.minMails, 1),
    mailRate: number('rate', values.rate, preset.mailRate, 0.1),
    outageSeconds: number('outage', values.outage, preset.outageSeconds, 0),
    keep: values.keep,
    noTmpfs: values['no-tmpfs'],
  };
}
