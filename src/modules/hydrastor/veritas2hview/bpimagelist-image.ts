/**
 * Types of `bpimagelist -l` (formats spec §3.3, Veritas KB 100017904). Positions are 1-based
 * with the line's keyword (`IMAGE`, `FRAG`) as field 1. Field counts grow with NetBackup
 * versions: a field the line does not reach is null, as is `*NULL*`.
 */

/** One `FRAG` line: a fragment of one copy of an image. */
export interface BpimagelistFragment {
  readonly line: number;
  /** Field 2. */
  readonly copyNumber: number | null;
  /** Field 3 (negative for true-image-restore fragments). */
  readonly fragmentNumber: number | null;
  /** Field 4. */
  readonly kilobytes: number | null;
  /** Field 5: bytes beyond the whole kilobytes. */
  readonly remainderBytes: number | null;
  /** Field 6. */
  readonly mediaType: number | null;
  /** Field 7. */
  readonly density: number | null;
  /** Field 8. */
  readonly fileNumber: number | null;
  /** Field 9, `id/path`: for disk storage the Disk Media ID (`@aaaab`) of `nbdevquery -listdv`. */
  readonly mediaId: string | null;
  /** Field 10: the media server that wrote it. */
  readonly host: string | null;
  /** Field 11. */
  readonly blockSize: number | null;
  /** Field 12. */
  readonly offset: number | null;
  /** Field 13. */
  readonly mediaDate: Date | null;
  /** Field 14. */
  readonly deviceWrittenOn: number | null;
  /** Field 15. */
  readonly flags: number | null;
  /** Field 16. */
  readonly mediaDescriptor: string | null;
  /** Field 17. */
  readonly expiresAt: Date | null;
  /** Field 18. */
  readonly multiplexed: number | null;
  /** Field 19. */
  readonly retentionLevel: number | null;
}

/** One `IMAGE` line with its `HISTO` and `FRAG` lines. */
export interface BpimagelistImage {
  readonly line: number;
  /** Field 2. */
  readonly client: string;
  /** Field 5. */
  readonly imageVersion: number | null;
  /** Field 6, `<client>_<epoch>`: joins the image to its `bpdbjobs` job. */
  readonly backupId: string;
  /** Field 7. */
  readonly policy: string | null;
  /** Field 8. */
  readonly clientType: number | null;
  /** Field 9. */
  readonly proxyClient: string | null;
  /** Field 10. */
  readonly creator: string | null;
  /** Field 11. */
  readonly scheduleLabel: string | null;
  /** Field 12. */
  readonly scheduleType: number | null;
  /** Field 13. */
  readonly retentionLevel: number | null;
  /** Field 14. */
  readonly backupTime: Date | null;
  /** Field 15. */
  readonly elapsedSeconds: number | null;
  /** Field 16; 2147483647 ("never") is the largest Date (`INFINITE_DATE_MS`), stored as infinity. */
  readonly expiresAt: Date | null;
  /** Field 17. */
  readonly compression: number | null;
  /** Field 18. */
  readonly encryption: number | null;
  /** Field 19. */
  readonly kilobytes: number | null;
  /** Field 20. */
  readonly files: number | null;
  /** Field 21. */
  readonly copies: number | null;
  /** Field 22. */
  readonly fragmentCount: number | null;
  /** Field 28. */
  readonly primaryCopy: number | null;
  /** Field 29. */
  readonly imageType: number | null;
  /** Field 32. */
  readonly keyword: string | null;
  /** Field 45: the job that wrote the image. */
  readonly jobId: number | null;
  /** The `HISTO` line's numbers, or null when there is none (never validated: see the parser). */
  readonly histogram: readonly number[] | null;
  /**
   * Values that did not fit their column, as written: `field<N>` of the IMAGE line,
   * `frag_<copy>_<fragment>_field<N>` of a FRAG line; null when there are none.
   */
  extra: Record<string, string> | null;
  readonly fragments: BpimagelistFragment[];
}
