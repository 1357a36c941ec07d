/** `state` values of `bpdbjobs` (formats spec §3.1). */
export const JOB_STATE = {
  queued: 0,
  active: 1,
  requeued: 2,
  done: 3,
  suspended: 4,
  incomplete: 5,
} as const;

export type JobState = (typeof JOB_STATE)[keyof typeof JOB_STATE];

/**
 * One `bpdbjobs -report -most_columns` job. Empty fields are null. Sizes stay in KiB as the
 * source gives them (a `number` is exact up to 8 EiB of KiB); the upsert converts to bytes.
 * Times are epoch seconds (UTC) turned into Dates; `0` (not started, still running) is null.
 */
export interface BpdbjobsRecord {
  /** First physical line of the record (records with embedded newlines span several). */
  readonly line: number;
  readonly jobId: number;
  readonly jobType: number | null;
  readonly state: JobState;
  /** Exit status; null while the job is queued or active, or when empty. */
  readonly status: number | null;
  readonly policy: string | null;
  readonly schedule: string | null;
  readonly client: string | null;
  readonly mediaServer: string | null;
  readonly startedAt: Date | null;
  readonly elapsedSeconds: number | null;
  readonly endedAt: Date | null;
  /** Storage unit label: the key to the disk pool, hence to the HYDRAstor grid. */
  readonly storageUnit: string | null;
  readonly currentTry: number | null;
  readonly operation: number | null;
  readonly kilobytes: number | null;
  readonly files: number | null;
  readonly pathLastWritten: string | null;
  readonly percentComplete: number | null;
  readonly jobPid: number | null;
  readonly owner: string | null;
  readonly subtype: number | null;
  readonly policyType: number | null;
  readonly scheduleType: number | null;
  readonly priority: number | null;
  readonly ownerGroup: string | null;
  readonly masterServer: string | null;
  readonly retentionLevel: number | null;
  readonly retentionPeriod: number | null;
  readonly compression: number | null;
  readonly kilobytesToBeWritten: number | null;
  readonly filesToBeWritten: number | null;
  readonly fileListCount: number | null;
  readonly tryCount: number | null;
  readonly parentJobId: number | null;
  readonly kilobytesPerSecond: number | null;
  readonly copyNumber: number | null;
  readonly robot: string | null;
  readonly vault: string | null;
  readonly profile: string | null;
  readonly session: string | null;
  readonly ejectTapes: string | null;
  readonly sourceStorageUnit: string | null;
  readonly sourceServer: string | null;
  readonly sourceMedia: string | null;
  readonly destinationMedia: string | null;
  readonly streamNumber: number | null;
  readonly suspendable: number | null;
  readonly resumable: number | null;
  readonly restartable: number | null;
  readonly dataMovement: number | null;
  readonly snapshot: number | null;
  /** `<client>_<epoch>`: joins the job to its `bpimagelist` image. */
  readonly backupId: string | null;
  readonly killable: number | null;
  readonly controllingHost: string | null;
  readonly offHostType: number | null;
  readonly ftUsage: number | null;
  readonly queueReason: number | null;
  /** Percent saved by deduplication; often empty for OST targets such as HYDRAstor. */
  readonly dedupRatio: number | null;
  readonly accelerator: number | null;
  /**
   * Non-empty fields that are not known columns (newer NetBackup versions append some), keyed by
   * the manifest's column name or `field<N>` (1-based position); null when there are none.
   */
  readonly extra: Readonly<Record<string, string>> | null;
}
