import type { ParseIssue } from './parse-issue.js';
import { cutText } from './storable-text.js';

/** One issue as stored with the job and shown in its API detail (`parseIssues.items`). */
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

/**
 * The issues of one parse, as `parse` returns them (`ParseResult.issues`): the first ones kept,
 * all of them counted, so memory stays bounded whatever the input. A streaming module's
 * `upsert` keeps adding to the same log while it reads; the pipeline stores the log with the
 * job once `upsert` has ended, committed or failed.
 */
export class ParseIssueLog {
  #listed: ParseIssue[] = [];
  #count = 0;
  readonly #maxListed: number;

  constructor(issues: Iterable<ParseIssue> = [], maxListed = MAX_LISTED_PARSE_ISSUES) {
    this.#maxListed = maxListed;
    for (const issue of issues) this.add(issue);
  }

  readonly add = (issue: ParseIssue): void => {
    if (issue.unlisted !== undefined) {
      this.#count += Math.max(0, Math.trunc(issue.unlisted));
      return;
    }
    this.#count += 1;
    if (this.#listed.length < this.#maxListed) this.#listed.push(issue);
  };

  /**
   * Starts over with `issues`: for a module that reads its input again knowing more (a report
   * re-read in its grid's time zone says "read as Asia/Tokyo", no longer "read as UTC").
   */
  replaceAll(issues: Iterable<ParseIssue>): void {
    this.#listed = [];
    this.#count = 0;
    for (const issue of issues) this.add(issue);
  }

  /** Every issue added, listed or not. */
  get count(): number {
    return this.#count;
  }

  /** The first issues, in the order added (a capped list's closing entries are counted, not listed). */
  get listed(): readonly ParseIssue[] {
    return this.#listed;
  }

  /** The stored form: text made storable (no NUL, no lone surrogate) and cut to bounded lengths. */
  snapshot(): JobParseIssues {
    return {
      count: this.#count,
      items: this.#listed.map((issue) => ({
        file: cutText(issue.file, MAX_WHAT_CHARS),
        line: issue.line,
        what: cutText(issue.message, MAX_WHAT_CHARS),
        raw: issue.raw === undefined ? null : cutText(issue.raw, MAX_RAW_CHARS),
      })),
    };
  }
}
