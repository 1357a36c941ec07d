import type { BpdbjobsLayout } from './bpdbjobs-columns.js';
import type { BpdbjobsRecord, JobState } from './bpdbjobs-record.js';
import type { ParseIssue } from './parse-issue.js';

const HIGHEST_JOB_STATE = 5;
const BACKSLASH = 92;
const MINUS = 45;
const COMMA = 44;
const DIGIT_0 = 48;
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
 * reported through `onIssue` and yield null; a bad non-key number becomes null with a warning.
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
  #invalidColumns: string[] = [];

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
    if (this.#invalidColumns.length > 0) this.#invalidColumns = [];

    const jobId = this.#number(at.jobid, 'jobid');
    if (jobId === null || !Number.isSafeInteger(jobId) || jobId < 0) {
      this.#issue(line, 'error', `jobid ${JSON.stringify(this.#raw(at.jobid))} is not a job number, skipped`);
      return null;
    }
    const state = this.#number(at.state, 'state');
    if (state === null || !Number.isInteger(state) || state < 0 || state > HIGHEST_JOB_STATE) {
      this.#issue(line, 'error', `job ${jobId}: state ${JSON.stringify(this.#raw(at.state))} is not 0..${HIGHEST_JOB_STATE}, skipped`);
      return null;
    }
    const running = state <= 1;

    const record: BpdbjobsRecord = {
      line,
      jobId,
      jobType: this.#number(at.jobtype, 'jobtype'),
      state: state as JobState,
      status: running ? null : this.#number(at.status, 'status'),
      policy: this.#text(at.policy),
      schedule: this.#text(at.schedule),
      client: this.#text(at.client),
      mediaServer: this.#text(at.server),
      startedAt: this.#epoch(at.started, 'started'),
      elapsedSeconds: this.#number(at.elapsed, 'elapsed'),
      endedAt: this.#epoch(at.ended, 'ended'),
      storageUnit: this.#text(at.stunit),
      currentTry: this.#number(at.try, 'try'),
      operation: this.#number(at.operation, 'operation'),
      kilobytes: this.#number(at.kbytes, 'kbytes'),
      files: this.#number(at.files, 'files'),
      pathLastWritten: this.#text(at.pathlastwritten),
      percentComplete: this.#number(at.percent, 'percent'),
      jobPid: this.#number(at.jobpid, 'jobpid'),
      owner: this.#text(at.owner),
      subtype: this.#number(at.subtype, 'subtype'),
      policyType: this.#number(at.policytype, 'policytype'),
      scheduleType: this.#number(at.scheduletype, 'scheduletype'),
      priority: this.#number(at.priority, 'priority'),
      ownerGroup: this.#text(at.group),
      masterServer: this.#text(at.masterserver),
      retentionLevel: this.#number(at.retentionlevel, 'retentionlevel'),
      retentionPeriod: this.#number(at.retentionperiod, 'retentionperiod'),
      compression: this.#number(at.compression, 'compression'),
      kilobytesToBeWritten: this.#number(at.kbytestobewritten, 'kbytestobewritten'),
      filesToBeWritten: this.#number(at.filestobewritten, 'filestobewritten'),
      fileListCount: this.#number(at.filelistcount, 'filelistcount'),
      tryCount: this.#number(at.trycount, 'trycount'),
      parentJobId: this.#number(at.parentjob, 'parentjob'),
      kilobytesPerSecond: this.#number(at.kbpersec, 'kbpersec'),
      copyNumber: this.#number(at.copy, 'copy'),
      robot: this.#text(at.robot),
      vault: this.#text(at.vault),
      profile: this.#text(at.profile),
      session: this.#text(at.session),
      ejectTapes: this.#text(at.ejecttapes),
      sourceStorageUnit: this.#text(at.srcstunit),
      sourceServer: this.#text(at.srcserver),
      sourceMedia: this.#text(at.srcmedia),
      destinationMedia: this.#text(at.dstmedia),
      streamNumber: this.#number(at.stream, 'stream'),
      suspendable: this.#number(at.suspendable, 'suspendable'),
      resumable: this.#number(at.resumable, 'resumable'),
      restartable: this.#number(at.restartable, 'restartable'),
      dataMovement: this.#number(at.datamovement, 'datamovement'),
      snapshot: this.#number(at.snapshot, 'snapshot'),
      backupId: this.#text(at.backupid),
      killable: this.#number(at.killable, 'killable'),
      controllingHost: this.#text(at.controllinghost),
      offHostType: this.#number(at.offhosttype, 'offhosttype'),
      ftUsage: this.#number(at.ftusage, 'ftusage'),
      queueReason: this.#number(at.queuereason, 'queuereason'),
      dedupRatio: this.#number(at.dedupratio, 'dedupratio'),
      accelerator: this.#number(at.accelerator, 'accelerator'),
      extra: this.#extra(),
    };
    if (this.#invalidColumns.length > 0) {
      this.#issue(line, 'warning', `job ${jobId}: not a number in ${this.#invalidColumns.join(', ')}, stored as null`);
    }
    return record;
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

  /** Plain integers are read from the characters; anything else goes through `Number`. */
  #number(position: number, column: string): number | null {
    if (this.#isEmpty(position)) return null;
    const record = this.#record;
    const end = this.#ends[position] as number;
    let index = this.#starts[position] as number;
    const negative = record.charCodeAt(index) === MINUS;
    if (negative) index += 1;
    let value = 0;
    if (index === end) return this.#numberFromText(position, column);
    for (; index < end; index += 1) {
      const digit = record.charCodeAt(index) - DIGIT_0;
      if (digit < 0 || digit > 9) return this.#numberFromText(position, column);
      value = value * 10 + digit;
    }
    return negative ? -value : value;
  }

  #numberFromText(position: number, column: string): number | null {
    const parsed = Number(this.#raw(position));
    if (Number.isFinite(parsed)) return parsed;
    this.#invalidColumns.push(column);
    return null;
  }

  #epoch(position: number, column: string): Date | null {
    const seconds = this.#number(position, column);
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
    return extra;
  }

  #issue(line: number, severity: ParseIssue['severity'], message: string): void {
    this.#onIssue({ file: this.#file, line, severity, message });
  }
}

/** Prototype-free, so a manifest column named `__proto__` stays an ordinary key. */
function emptyExtra(): Record<string, string> {
  return Object.create(null) as Record<string, string>;
}
