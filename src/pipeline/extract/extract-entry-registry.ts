import type { ArchiveBudgets } from './archive-budgets.js';
import { checkEntryCount } from './extract-budgets.js';
import { normalizeEntryPath } from './extract-entry-path.js';
import { archiveUnsafeEntries } from './extract-errors.js';
import type { SkipReason, SkippedEntry, UnsafeEntryPolicy } from './extract-types.js';

/** A PAX path can be 1 MiB; keep reports bounded however many entries are skipped. */
const MAX_REPORTED_NAME_CHARS = 1024;

/**
 * The per-archive bookkeeping both formats share: entry count, the skipped-entry report, and which
 * paths are taken. Paths are compared in NFC so `café` written two ways is one path (reported as a
 * duplicate) rather than two files whose order decides which one a parser reads.
 */
export class EntryRegistry {
  readonly skipped: SkippedEntry[] = [];
  private entryCount = 0;
  private readonly filePaths = new Set<string>();
  private readonly directoryPaths = new Set<string>();

  constructor(
    private readonly budgets: ArchiveBudgets,
    private readonly policy: UnsafeEntryPolicy,
  ) {}

  /** Throws ARCHIVE_LIMIT_EXCEEDED past `maxEntries`. */
  countEntry(): void {
    this.entryCount += 1;
    checkEntryCount(this.budgets, this.entryCount);
  }

  skip(name: string, reason: SkipReason): void {
    const reported = name.length > MAX_REPORTED_NAME_CHARS ? `${name.slice(0, MAX_REPORTED_NAME_CHARS)}…` : name;
    this.skipped.push({ name: reported, reason });
  }

  /**
   * Directory entries are never created as such (a file's parents are), but an unsafe directory
   * name is still reported. `./` alone, as `tar -C dir .` writes, is harmless.
   */
  noteDirectory(name: string): void {
    const normalized = normalizeEntryPath(name, this.budgets);
    if (!normalized.ok && normalized.reason !== 'empty-name') this.skip(name, normalized.reason);
  }

  /** Returns the normalized path when the file may be delivered, or undefined after recording why not. */
  admitFile(name: string): string | undefined {
    const normalized = normalizeEntryPath(name, this.budgets);
    if (!normalized.ok) {
      this.skip(name, normalized.reason);
      return undefined;
    }
    const key = normalized.path.normalize('NFC');
    if (this.filePaths.has(key)) {
      this.skip(name, 'duplicate-path');
      return undefined;
    }
    if (this.directoryPaths.has(key)) {
      this.skip(name, 'path-conflict');
      return undefined;
    }
    const keySegments = key.split('/');
    const parents: string[] = [];
    let parent = '';
    for (let index = 0; index < keySegments.length - 1; index += 1) {
      parent = index === 0 ? (keySegments[0] ?? '') : `${parent}/${keySegments[index] ?? ''}`;
      if (this.filePaths.has(parent)) {
        this.skip(name, 'path-conflict');
        return undefined;
      }
      parents.push(parent);
    }
    this.filePaths.add(key);
    for (const directory of parents) this.directoryPaths.add(directory);
    return normalized.path;
  }

  /** Under the `fail` policy nothing more is delivered once the read is known to fail. */
  get deliveryStopped(): boolean {
    return this.policy === 'fail' && this.skipped.length > 0;
  }

  /** Throws ARCHIVE_UNSAFE_ENTRIES (listing every skipped entry) under the `fail` policy. */
  finish(): void {
    if (this.deliveryStopped) throw archiveUnsafeEntries(this.skipped);
  }
}
