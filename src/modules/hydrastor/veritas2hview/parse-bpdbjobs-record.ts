import { IngestError } from '../../../core/ingest-error.js';
import type { BpdbjobsLayout } from './bpdbjobs-columns.js';
import { BpdbjobsFields, MAX_BPDBJOBS_FIELDS } from './bpdbjobs-fields.js';
import { describeAllColumnsLists } from './describe-all-columns-lists.js';
import { BIGINT, DECIMAL, EPOCH, INT4, KIBIBYTES, NUMERIC, type NumberKind } from './number-kinds.js';
import type { BpdbjobsRecord, JobState } from './bpdbjobs-record.js';
import type { ParseIssue } from '../../parse-issue.js';

const HIGHEST_JOB_STATE = 5;

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
 * Throws `BPDBJOBS_ALL_COLUMNS` on a record of `-all_columns` output (see `describeAllColumnsLists`).
 *
 * Fields are read through one reusable `BpdbjobsFields` (how a record is split, and why it is
 * not sliced into strings, is told there).
 */
export class BpdbjobsRecordParser {
  readonly #layout: BpdbjobsLayout;
  readonly #file: string;
  readonly #onIssue: (issue: ParseIssue) => void;
  readonly #fields = new BpdbjobsFields();
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
    const fields = this.#fields;
    if (!fields.split(text, start, end)) {
      this.#issue(line, 'error', `record has more than ${MAX_BPDBJOBS_FIELDS} fields, skipped`);
      return null;
    }
    if (fields.count < layout.minimumFieldCount) {
      this.#issue(line, 'error', `record has ${fields.count} fields, expected at least ${layout.minimumFieldCount} (cut off?), skipped`);
      return null;
    }
    if (this.#unfit.length > 0) this.#unfit = [];
    const lists = describeAllColumnsLists(fields, layout);
    if (lists !== null) {
      throw new IngestError(
        'BPDBJOBS_ALL_COLUMNS',
        `${this.#file} line ${line} (job ${fields.raw(at.jobid).slice(0, 20)}): ${lists}, ` +
          'as `bpdbjobs -report -all_columns` writes them; they shift every later field, so nothing was loaded. ' +
          'Export with `bpdbjobs -report -most_columns` instead',
        {
          details: { file: this.#file, line, exportedWith: '-all_columns', exportWith: '-most_columns' },
        },
      );
    }

    const jobId = this.#number(at.jobid, 'jobid', BIGINT);
    if (jobId === null || !Number.isSafeInteger(jobId) || jobId < 0) {
      this.#issue(line, 'error', `jobid ${JSON.stringify(fields.raw(at.jobid))} is not a job number, skipped`);
      return null;
    }
    const state = this.#number(at.state, 'state', INT4);
    if (state === null || !Number.isInteger(state) || state < 0 || state > HIGHEST_JOB_STATE) {
      this.#issue(line, 'error', `job ${jobId}: state ${JSON.stringify(fields.raw(at.state))} is not 0..${HIGHEST_JOB_STATE}, skipped`);
      return null;
    }
    const running = state <= 1;

    const record: BpdbjobsRecord = {
      line,
      jobId,
      jobType: this.#number(at.jobtype, 'jobtype', INT4),
      state: state as JobState,
      status: running ? null : this.#number(at.status, 'status', INT4),
      policy: fields.text(at.policy),
      schedule: fields.text(at.schedule),
      client: fields.text(at.client),
      mediaServer: fields.text(at.server),
      startedAt: this.#epoch(at.started, 'started'),
      elapsedSeconds: this.#number(at.elapsed, 'elapsed', BIGINT),
      endedAt: this.#epoch(at.ended, 'ended'),
      storageUnit: fields.text(at.stunit),
      currentTry: this.#number(at.try, 'try', INT4),
      operation: this.#number(at.operation, 'operation', INT4),
      kilobytes: this.#number(at.kbytes, 'kbytes', KIBIBYTES),
      files: this.#number(at.files, 'files', BIGINT),
      pathLastWritten: fields.text(at.pathlastwritten),
      percentComplete: this.#number(at.percent, 'percent', INT4),
      jobPid: this.#number(at.jobpid, 'jobpid', BIGINT),
      owner: fields.text(at.owner),
      subtype: this.#number(at.subtype, 'subtype', INT4),
      policyType: this.#number(at.policytype, 'policytype', INT4),
      scheduleType: this.#number(at.scheduletype, 'scheduletype', INT4),
      priority: this.#number(at.priority, 'priority', INT4),
      ownerGroup: fields.text(at.group),
      masterServer: fields.text(at.masterserver),
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
      robot: fields.text(at.robot),
      vault: fields.text(at.vault),
      profile: fields.text(at.profile),
      session: fields.text(at.session),
      ejectTapes: fields.text(at.ejecttapes),
      sourceStorageUnit: fields.text(at.srcstunit),
      sourceServer: fields.text(at.srcserver),
      sourceMedia: fields.text(at.srcmedia),
      destinationMedia: fields.text(at.dstmedia),
      streamNumber: this.#number(at.stream, 'stream', INT4),
      suspendable: this.#number(at.suspendable, 'suspendable', INT4),
      resumable: this.#number(at.resumable, 'resumable', INT4),
      restartable: this.#number(at.restartable, 'restartable', INT4),
      dataMovement: this.#number(at.datamovement, 'datamovement', INT4),
      snapshot: this.#number(at.snapshot, 'snapshot', INT4),
      backupId: fields.text(at.backupid),
      killable: this.#number(at.killable, 'killable', INT4),
      controllingHost: fields.text(at.controllinghost),
      offHostType: this.#number(at.offhosttype, 'offhosttype', INT4),
      ftUsage: this.#number(at.ftusage, 'ftusage', INT4),
      queueReason: this.#number(at.queuereason, 'queuereason', INT4),
      dedupRatio: this.#number(at.dedupratio, 'dedupratio', NUMERIC),
      accelerator: this.#number(at.accelerator, 'accelerator', INT4),
      extra: this.#extra(),
    };
    for (const [column, raw, expected] of this.#unfit) {
      this.#onIssue({
        file: this.#file,
        line,
        severity: 'warning',
        raw,
        message: `job ${jobId}: ${column} ${JSON.stringify(raw.length > 80 ? `${raw.slice(0, 80)}…` : raw)} is not ${expected}; stored as null, kept raw in extra`,
      });
    }
    return record;
  }

  /**
   * Plain integers are read from the characters; anything else goes through `#numberFromText`.
   * Empty or blank (NetBackup prints a single space for some unset numbers) is null.
   */
  #number(position: number, column: string, kind: NumberKind): number | null {
    const value = this.#fields.plainInteger(position);
    if (Number.isNaN(value)) return this.#fields.isEmpty(position) ? null : this.#numberFromText(position, column, kind);
    // The common case inline (a call through kind.fits per field is measurable at millions of jobs).
    if (kind.wholeOnly && value <= kind.max && value >= kind.min) return value;
    return kind.fits(value) ? value : this.#unfitValue(position, column, kind);
  }

  #numberFromText(position: number, column: string, kind: NumberKind): number | null {
    const text = this.#fields.raw(position).trim();
    if (text.length === 0) return null;
    const parsed = DECIMAL.test(text) ? Number(text) : Number.NaN;
    return Number.isFinite(parsed) && kind.fits(parsed) ? parsed : this.#unfitValue(position, column, kind);
  }

  #unfitValue(position: number, column: string, kind: NumberKind): null {
    this.#unfit.push([column, this.#fields.raw(position), kind.description]);
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
      const value = this.#fields.text(position);
      if (value !== null) (extra ??= emptyExtra())[layout.extraNameAt(position)] = value;
    }
    for (let position = layout.namedCount; position < this.#fields.count; position += 1) {
      const value = this.#fields.text(position);
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
