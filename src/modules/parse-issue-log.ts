import { cutText } from './storable-text.js';

/**
 * One problem a module met in its input that it did not fail the job for: a value kept raw, a
 * line skipped, a file left out. Shown in the job's API detail, so an operator can see what was
 * not loaded as given without reading logs.
 */
export interface JobParseIssue {
  /** The input file (archive entry, CSV name, `body`, `subject`). */
  readonly file: string;
  /** 1-based line in that file; null when the issue concerns the file as a whole. */
  readonly line: number | null;
  /** What happened to the value or line, in words. */
  readonly what: string;
  /** The offending text as found (cut to `MAX_RAW_CHARS`), or null. */
  readonly raw: string | null;
}

/** What a module passes to `reportIssue`; `line` and `raw` may be left out. */
export interface ParseIssueReport {
  readonly file: string;
  readonly line?: number | null;
  readonly what: string;
  readonly raw?: string | null;
  /**
   * Set when this entry only closes a parser's own capped list ("N more issues not listed"):
   * the N issues are counted, the entry itself is not listed.
   */
  readonly unlisted?: number;
}

/** What is stored with the job and shown by the API. */
export interface JobParseIssues {
  /** Every issue reported, listed or not. */
  readonly count: number;
  /** The first `MAX_LISTED_PARSE_ISSUES`, in the order reported. */
  readonly items: readonly JobParseIssue[];
}

/** Issues listed per job; past this only the count grows, so a file full of bad lines stays small. */
export const MAX_LISTED_PARSE_ISSUES = 200;
/** A raw value longer than this is cut (with `…`): it is there to recognise the value, not to restore it. */
export const MAX_RAW_CHARS = 200;
const MAX_WHAT_CHARS = 500;

/** Collects one run's issues: the first ones listed, all of them counted. */
export class ParseIssueLog {
  readonly #items: JobParseIssue[] = [];
  readonly #maxListed: number;
  #count = 0;

  constructor(maxListed = MAX_LISTED_PARSE_ISSUES) {
    this.#maxListed = maxListed;
  }

  readonly report = (issue: ParseIssueReport): void => {
    if (issue.unlisted !== undefined) {
      this.#count += Math.max(0, Math.trunc(issue.unlisted));
      return;
    }
    this.#count += 1;
    if (this.#items.length >= this.#maxListed) return;
    this.#items.push({
      file: cutText(issue.file, MAX_WHAT_CHARS),
      line: issue.line ?? null,
      what: cutText(issue.what, MAX_WHAT_CHARS),
      raw: issue.raw === undefined || issue.raw === null ? null : cutText(issue.raw, MAX_RAW_CHARS),
    });
  };

  get count(): number {
    return this.#count;
  }

  snapshot(): JobParseIssues {
    return { count: this.#count, items: [...this.#items] };
  }
}
