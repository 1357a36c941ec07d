/**
 * The limits one archive read is held to. Its own file so extract-types.ts can name it without
 * importing extract-budgets.ts (which imports extract-errors.ts, which imports extract-types.ts).
 */
export interface ArchiveBudgets {
  /** Uncompressed bytes of the whole archive (for tar.gz: everything gunzip produces). */
  readonly maxTotalBytes: number;
  readonly maxEntryBytes: number;
  /** Every entry counts: files, directories, links and anything skipped. */
  readonly maxEntries: number;
  /** Uncompressed : compressed, checked once more than `ratioCheckAfterBytes` came out. */
  readonly maxCompressionRatio: number;
  readonly ratioCheckAfterBytes: number;
  /** Deeper or longer paths are skipped entries (reported), not budget failures. */
  readonly maxPathDepth: number;
  /** UTF-8 bytes of the normalized relative path. */
  readonly maxPathBytes: number;
}
