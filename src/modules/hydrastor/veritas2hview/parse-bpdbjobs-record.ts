import { IngestError } from '../../../core/ingest-error.js';
import type { BpdbjobsLayout } from './bpdbjobs-columns.js';
import { BIGINT, DECIMAL, EPOCH, INT4, KIBIBYTES, NUMERIC, type NumberKind } from './number-kinds.js';
import type { BpdbjobsRecord, JobState } from './bpdbjobs-record.js';
import type { ParseIssue } from '../../parse-issue.js';

const HIGHEST_JOB_STATE = 5;
const BACKSLASH = 92;
const MINUS = 45;
const COMMA = 44;
const DIGIT_0 = 48;
const PLUS = 43;
const DOT = 46;
const SPACE = 32;
/** Initial room for field boundaries; grows for records with more fields. */
const INITIAL_FIELD_CAPACITY = 128;
/** More fields than this is not a bpdbjobs record (and would make the boundary arrays huge). */
export const MAX_BPDBJOBS_FIELDS = 4096;


export interface BpdbjobsRecordParserOptions {
  readonly layout: BpdbjobsLayout;
  /** Name used in issues. */
  readonly file: string;
  readonly onIssue: (issue: ParseIssue) => void;
}

/**
 * Turns one logical record (physical lines already joined) into a typed job. Bad records are
 * reported through `onIssue` and yield null. A number that does not fit its column (a fraction
 * where an integer belongs, text) becomes null, is kept as written in `extra` under its column
 * name, and is reported with its raw text; a blank one (empty or spaces) is simply null.
 * Throws `BPDBJOBS_ALL_COLUMNS` on a record of `-all_columns` output (see `#allColumnsLists`).
 *
 * Fields are split on commas, honouring NetBackup's `\,` escape (a literal comma; this is not
 * RFC 4180: there are no quotes, and other backslashes are literal, as in `C:\Data`).
 *
 * Built for millions of records: the record is scanned once into reusable boundary arrays,
 * numbers are read straight from the characters, and only non-empty text fields become strings
 * (a plain `split` would allocate some 60 strings per record and halve the throughput).
 */
export class BpdbjobsRecordParser {
  readonly #layout: BpdbjobsLayout;
  readonly #file: string;
  readonly #onIssue: (issue: ParseIssue) => void;
  #record = '';
  #fieldCount = 0;
  #starts = new Int32Array(INITIAL_FIELD_CAPACITY);
  #ends = new Int32Array(INITIAL_FIELD_CAPACITY);
  /** 1 where the field holds an escaped comma and needs unescaping when read as text. */
  #escaped = new Uint8Array(INITIAL_FIELD_CAPACITY);
  /** Fields of the current record that do not fit their column: [column, raw text, expected]. */
  #unfit: Array<readonly [string, string, string]> = [];

  constructor(options: BpdbjobsRecordParserOptions) {
    this.#layout = options.layout;
    this.#file = options.file;
    this.#onIssue = options.onIssue;
  }

  /**
   * Parses `text.slice(start, end)` without slicing it: `text` is usually a whole input chunk.
   * (Positional parameters rather than an args object: this runs once per job, millions of times.)
   */
  parse(text: string, start: number, end: number, line: number): BpdbjobsRecord | null {
    const layout = this.#layout;
    const at = layout.positionOf;
    if (!this.#split(text, start, end)) {
      this.#issue(line, 'error', `record has more than ${MAX_BPDBJOBS_FIELDS} fields, skipped`);
      return null;
    }
    if (this.#fieldCount < layout.minimumFieldCount) {
      this.#issue(line, 'error', `record has ${this.#fieldCount} fields, expected at least ${layout.minimumFieldCount} (cut off?), skipped`);
      return null;
    }
    if (this.#unfit.length > 0) this.#unfit = [];
    const lists = this.#allColumnsLists();
    if (lists !== null) {
      throw new IngestError('BPDBJOBS_ALL_COLUMNS', `${this.#file} line ${line} (job ${this.#raw(at.jobid).slice(0, 20)}): ${lists}, `
        + 'as `bpdbjobs -report -all_columns` writes them; they shift every later field, so nothing was loaded. '
        + 'Export with `bpdbjobs -report -most_columns` instead', {
        details: { file: this.#file, line, exportedWith: '-all_columns', exportWith: '-most_columns' },
      });
    }

    const jobId = this.#number(at.jobid, 'jobid', BIGINT);
    if (jobId === null || !Number.isSafeInteger(jobId) || jobId < 0) {
      this.#issue(line, 'error', `jobid ${JSON.stringify(this.#raw(at.jobid))} is not a job number, skipped`);
      return null;
    }
    const state = this.#number(at.state, 'state', INT4);
    if (state === null || !Number.isInteger(state) || state < 0 || state > HIGHEST_JOB_STATE) {
      this.#issue(line, 'error', `job ${jobId}: state ${JSON.stringify(this.#raw(at.state))} is not 0..${HIGHEST_JOB_STATE}, skipped`);
      return null;
    }
    const running = state <= 1;

    const record: BpdbjobsRecord = {
      line,
      jobId,
      jobType: this.#number(at.jobtype, 'jobtype', INT4),
      state: state as JobState,
      status: running ? null : this.#number(at.status, 'status', INT4),
      policy: this.#text(at.policy),
      schedule: this.#text(at.schedule),
      client: this.#text(at.client),
      mediaServer: this.#text(at.server),
      startedAt: this.#epoch(at.started, 'started'),
      elapsedSeconds: this.#number(at.elapsed, 'elapsed', BIGINT),
      endedAt: this.#epoch(at.ended, 'ended'),
      storageUnit: this.#text(at.stunit),
      currentTry: this.#number(at.try, 'try', INT4),
      operation: this.#number(at.operation, 'operation', INT4),
      kilobytes: this.#number(at.kbytes, 'kbytes', KIBIBYTES),
      files: this.#number(at.files, 'files', BIGINT),
      pathLastWritten: this.#text(at.pathlastwritten),
      percentComplete: this.#number(at.percent, 'percent', INT4),
      jobPid: this.#number(at.jobpid, 'jobpid', BIGINT),
      owner: this.#text(at.owner),
      subtype: this.#number(at.subtype, 'subtype', INT4),
      policyType: this.#number(at.policytype, 'policytype', INT4),
      scheduleType: this.#number(at.scheduletype, 'scheduletype', INT4),
      priority: this.#number(at.priority, 'priority', INT4),
      ownerGroup: this.#text(at.group),
      masterServer: this.#text(at.masterserver),
      retentionLevel: this.#number(at.retentionlevel, 'retentionlevel', INT4),
      retentionPeriod: this.#number(at.retentionperiod, 'retentionperiod', BIGINT),
      compression: this.#number(at.compression, 'compression', INT4),
      kilobytesToBeWritten: this.#number(at.kbytestobewritten, 'kbytestobewritten', KIBIBYTES),
      filesToBeWritten: this.#number(at.filestobewritten, 'filestobewritten', BIGINT),
      fileListCount: this.#number(at.filelistcount, 'filelistcount', BIGINT),
      tryCount: this.#number(at.trycount, 'trycount', INT4),
      parentJobId: this.#number(at.parentjob, 'parentjob', BIGINT),
      kilobytesPerSecond: this.#number(at.kbpersec, 'kbpersec', NUMERIC),
      copyNumber: this.#number(at.copy, 'copy', INT4),
      robot: this.#text(at.robot),
      vault: this.#text(at.vault),
      profile: this.#text(at.profile),
      session: this.#text(at.session),
      ejectTapes: this.#text(at.ejecttapes),
      sourceStorageUnit: this.#text(at.srcstunit),
      sourceServer: this.#text(at.srcserver),
      sourceMedia: this.#text(at.srcmedia),
      destinationMedia: this.#text(at.dstmedia),
      streamNumber: this.#number(at.stream, 'stream', INT4),
      suspendable: this.#number(at.suspendable, 'suspendable', INT4),
      resumable: this.#number(at.resumable, 'resumable', INT4),
      restartable: this.#number(at.restartable, 'restartable', INT4),
      dataMovement: this.#number(at.datamovement, 'datamovement', INT4),
      snapshot: this.#number(at.snapshot, 'snapshot', INT4),
      backupId: this.#text(at.backupid),
      killable: this.#number(at.killable, 'killable', INT4),
      controllingHost: this.#text(at.controllinghost),
      offHostType: this.#number(at.offhosttype, 'offhosttype', INT4),
      ftUsage: this.#number(at.ftusage, 'ftusage', INT4),
      queueReason: this.#number(at.queuereason, 'queuereason', INT4),
      dedupRatio: this.#number(at.dedupratio, 'dedupratio', NUMERIC),
      accelerator: this.#number(at.accelerator, 'accelerator', INT4),
      extra: this.#extra(),
    };
    for (const [column, raw, expected] of this.#unfit) {
      this.#onIssue({
        file: this.#file, line, severity: 'warning', raw,
        message: `job ${jobId}: ${column} ${JSON.stringify(raw.length > 80 ? `${raw.slice(0, 80)}…` : raw)} is not ${expected}; stored as null, kept raw in extra`,
      });
    }
    return record;
  }

  /**
   * `bpdbjobs -report -all_columns` prints the same fields as `-most_columns` but inserts the job's
   * file list after `filelistcount` and its tries after `trycount` (trypid, trystunit, tryserver,
   * …, trystatuscount, status lines, trybyteswritten, tryfileswritten), so every later field moves.
   * In `-most_columns` output `trycount` is a number and `kbpersec`/`copy` are numbers or empty:
   * a path where trycount belongs, or a storage unit or host name where kbpersec or copy belong
   * after a positive try count, is that layout. Describes the lists found, or null.
   */
  #allColumnsLists(): string | null {
    const at = this.#layout.positionOf;
    if (at.filelistcount < 0 || at.trycount !== at.filelistcount + 1) return null;
    // Scans characters, no slicing: this runs once per job.
    const tryCount = this.#plainCount(at.trycount);
    if (tryCount === null) {
      const fileCount = this.#plainCount(at.filelistcount);
      if (fileCount === null || fileCount === 0 || this.#raw(at.trycount).trim().length === 0) return null;
      return `field ${at.trycount + 1} (trycount) holds ${JSON.stringify(this.#raw(at.trycount).slice(0, 80))}, the first of a file list of ${fileCount}`;
    }
    if (tryCount === 0) return null;
    const shifted = this.#holdsText(at.kbpersec) ? 'kbpersec' : this.#holdsText(at.copy) ? 'copy' : null;
    if (shifted === null) return null;
    const position = at[shifted];
    return `field ${position + 1} (${shifted}) holds ${JSON.stringify(this.#raw(position).trim().slice(0, 80))}, part of the ${tryCount} tr${tryCount === 1 ? 'y' : 'ies'} listed after trycount`;
  }

  /** A non-negative whole number of at most 9 digits written plainly, or null. */
  #plainCount(position: number): number | null {
    if (position < 0 || position >= this.#fieldCount) return null;
    const record = this.#record;
    const start = this.#starts[position] as number;
    const end = this.#ends[position] as number;
    if (end === start || end - start > 9) return null;
    let value = 0;
    for (let index = start; index < end; index += 1) {
      const digit = record.charCodeAt(index) - DIGIT_0;
      if (digit < 0 || digit > 9) return null;
      value = value * 10 + digit;
    }
    return value;
  }

  /** True when the field holds a character no number has (a name, a path). */
  #holdsText(position: number): boolean {
    if (position < 0 || position >= this.#fieldCount) return false;
    const record = this.#record;
    const end = this.#ends[position] as number;
    for (let index = this.#starts[position] as number; index < end; index += 1) {
      const code = record.charCodeAt(index);
      if (!((code >= DIGIT_0 && code <= DIGIT_0 + 9) || code === MINUS || code === PLUS || code === DOT || code === SPACE)) return true;
    }
    return false;
  }

  /** Records field boundaries; false when there are too many fields. */
  #split(text: string, from: number, to: number): boolean {
    this.#record = text;
    let count = 0;
    let start = from;
    let escaped = 0;
    let comma = text.indexOf(',', from);
    for (;;) {
      if (comma >= to) comma = -1;
      if (comma !== -1 && comma > start && text.charCodeAt(comma - 1) === BACKSLASH) {
        escaped = 1;
        comma = text.indexOf(',', comma + 1);
        continue;
      }
      if (count === this.#starts.length && !this.#growFieldCapacity()) return false;
      this.#starts[count] = start;
      this.#ends[count] = comma === -1 ? to : comma;
      this.#escaped[count] = escaped;
      count += 1;
      if (comma === -1) break;
      start = comma + 1;
      escaped = 0;
      // Empty fields are common (a third of a typical record): skip the indexOf call for them.
      comma = start < to && text.charCodeAt(start) === COMMA ? start : text.indexOf(',', start);
    }
    this.#fieldCount = count;
    return true;
  }

  #growFieldCapacity(): boolean {
    const capacity = this.#starts.length * 2;
    if (capacity > MAX_BPDBJOBS_FIELDS) return false;
    const grow = <T extends Int32Array | Uint8Array>(from: T, to: T): T => {
      to.set(from);
      return to;
    };
    this.#starts = grow(this.#starts, new Int32Array(capacity));
    this.#ends = grow(this.#ends, new Int32Array(capacity));
    this.#escaped = grow(this.#escaped, new Uint8Array(capacity));
    return true;
  }

  /** The field as written (escapes kept), for messages. */
  #raw(position: number): string {
    return position < 0 || position >= this.#fieldCount ? '' : this.#record.slice(this.#starts[position], this.#ends[position]);
  }

  #isEmpty(position: number): boolean {
    return position < 0 || position >= this.#fieldCount || this.#starts[position] === this.#ends[position];
  }

  #text(position: number): string | null {
    if (this.#isEmpty(position)) return null;
    const value = this.#record.slice(this.#starts[position], this.#ends[position]);
    return this.#escaped[position] === 1 ? value.replaceAll('\\,', ',') : value;
  }

  /**
   * Plain integers are read from the characters; anything else goes through `#numberFromText`.
   * Empty or blank (NetBackup prints a single space for some unset numbers) is null.
   */
  #number(position: number, column: string, kind: NumberKind): number | null {
    if (this.#isEmpty(position)) return null;
    const record = this.#record;
    const end = this.#ends[position] as number;
    let index = this.#starts[position] as number;
    const negative = record.charCodeAt(index) === MINUS;
    if (negative) index += 1;
    let value = 0;
    if (index === end) return this.#numberFromText(position, column, kind);
    for (; index < end; index += 1) {
      const digit = record.charCodeAt(index) - DIGIT_0;
      if (digit < 0 || digit > 9) return this.#numberFromText(position, column, kind);
      value = value * 10 + digit;
    }
    if (negative) value = -value;
    // The common case inline (a call through kind.fits per field is measurable at millions of jobs).
    if (kind.wholeOnly && value <= kind.max && value >= kind.min) return value;
    return kind.fits(value) ? value : this.#unfitValue(position, column, kind);
  }

  #numberFromText(position: number, column: string, kind: NumberKind): number | null {
    const text = this.#raw(position).trim();
    if (text.length === 0) return null;
    const parsed = DECIMAL.test(text) ? Number(text) : Number.NaN;
    return Number.isFinite(parsed) && kind.fits(parsed) ? parsed : this.#unfitValue(position, column, kind);
  }

  #unfitValue(position: number, column: string, kind: NumberKind): null {
    this.#unfit.push([column, this.#raw(position), kind.description]);
    return null;
  }

  #epoch(position: number, column: string): Date | null {
    const seconds = this.#number(position, column, EPOCH);
    return seconds === null || seconds === 0 ? null : new Date(seconds * 1000);
  }

  #extra(): Record<string, string> | null {
    const layout = this.#layout;
    let extra: Record<string, string> | null = null;
    for (const position of layout.unknownNamedPositions) {
      const value = this.#text(position);
      if (value !== null) (extra ??= emptyExtra())[layout.extraNameAt(position)] = value;
    }
    for (let position = layout.namedCount; position < this.#fieldCount; position += 1) {
      const value = this.#text(position);
      if (value !== null) (extra ??= emptyExtra())[layout.extraNameAt(position)] = value;
    }
    // A known column's value that did not fit is kept as written, under the column's name.
    for (const [column, raw] of this.#unfit) (extra ??= emptyExtra())[column] = raw;
    return extra;
  }

  #issue(line: number, severity: 'error' | 'warning', message: string): void {
    this.#onIssue({ file: this.#file, line, severity, message });
  }
}

/** Prototype-free, so a manifest column named `__proto__` stays an ordinary key. */
function emptyExtra(): Record<string, string> {
  return Object.create(null) as Record<string, string>;
}
